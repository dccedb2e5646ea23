//! Storage options, which psql's `\d+ TABLE` lists: none, in kaigo.
//!
//! psql reads them as `array_to_string(c.reloptions || array(select 'toast.' || x from
//! unnest(tc.reloptions) x), ', ')`. The emulated `pg_class` (datafusion-pg-catalog 0.19) has no
//! `reloptions` column and DataFusion does not plan `ARRAY(subquery)`, so the whole query failed.
//! A kaigo table has no storage options (no fillfactor, no TOAST settings): in statements that
//! read the catalogs, `array_to_string` of anything naming `reloptions` is rewritten to the empty
//! text PostgreSQL answers for a table without options.

use std::{borrow::Cow, ops::ControlFlow};

use datafusion::sql::sqlparser::ast::{Expr, Value, VisitorMut, visit_expressions};

use crate::subqueries::{reads_catalogs, rewrite};

/// `sql` with each `array_to_string(… reloptions …)` of its catalog statements as `''`; `sql`
/// itself when there is none or it does not parse.
pub(crate) fn no_storage_options(sql: &str) -> Cow<'_, str> {
    if !sql.to_lowercase().contains("reloptions") {
        return Cow::Borrowed(sql);
    }
    let mut rewriter = Rewriter { rewritten: 0 };
    rewrite(sql, reads_catalogs, &mut rewriter, |rewriter| rewriter.rewritten)
}

struct Rewriter {
    rewritten: usize,
}

/// Whether `expression` names a `reloptions` column anywhere inside.
fn names_reloptions(expression: &Expr) -> bool {
    let mut found = false;
    let _ = visit_expressions(expression, |inner| {
        let name = match inner {
            Expr::Identifier(identifier) => Some(&identifier.value),
            Expr::CompoundIdentifier(parts) => parts.last().map(|last| &last.value),
            _ => None,
        };
        found |= name.is_some_and(|name| name.eq_ignore_ascii_case("reloptions"));
        ControlFlow::<()>::Continue(())
    });
    found
}

impl VisitorMut for Rewriter {
    type Break = ();

    fn pre_visit_expr(&mut self, expression: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(function) = expression
            && function
                .name
                .0
                .last()
                .and_then(|part| part.as_ident())
                .is_some_and(|name| name.value.eq_ignore_ascii_case("array_to_string"))
            && names_reloptions(expression)
        {
            *expression = Expr::Value(Value::SingleQuotedString(String::new()).into());
            self.rewritten += 1;
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_s_storage_options_are_none() {
        let sql = "SELECT c.relkind, pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x \
                   from pg_catalog.unnest(tc.reloptions) x), ', ') FROM pg_catalog.pg_class c \
                   LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid) WHERE c.oid = '16457'";
        assert_eq!(
            no_storage_options(sql),
            "SELECT c.relkind, '' FROM pg_catalog.pg_class c \
             LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid) WHERE c.oid = '16457'"
        );
    }

    #[test]
    fn other_statements_are_left_alone() {
        for sql in [
            "select array_to_string(reloptions, ',') from my_table",
            "select array_to_string(array[1, 2], ',') from pg_catalog.pg_class",
            "select relname from pg_catalog.pg_class",
        ] {
            assert!(matches!(no_storage_options(sql), Cow::Borrowed(_)), "{sql}");
        }
    }
}
