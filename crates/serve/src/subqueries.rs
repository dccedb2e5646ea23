//! Select-list subqueries of analysts' queries kept as they are written.
//!
//! datafusion-postgres parses every statement through datafusion-pg-catalog's compatibility
//! rewrites, one of which (`RemoveSubqueryFromProjection`, 0.19) replaces a correlated subquery
//! of a select list with NULL and limits an uncorrelated one to one row — meant for the catalog
//! queries of psql and drivers, whose subqueries the emulated catalogs cannot answer, but it hits
//! every query: `select p.person_key, (select count(*) from fct_person_months m where
//! m.person_key = p.person_key) from dim_persons p` answered NULL counts, silently. The rewrite
//! looks at a select item that *is* a subquery, so wrapping each one in parentheses keeps it
//! intact; DataFusion plans the parenthesized subquery the same. Statements that read the Postgres
//! catalogs are left to the rewrite.

use std::{borrow::Cow, ops::ControlFlow};

use datafusion::sql::sqlparser::{
    ast::{Expr, Query, SelectItem, SetExpr, Statement, VisitMut, VisitorMut, visit_relations},
    dialect::PostgreSqlDialect,
    parser::Parser,
};

/// `sql` with the select-list subqueries of its analysts' statements parenthesized; `sql` itself
/// when there are none, or when it does not parse (the server's own parser reports that).
pub(crate) fn keep_select_list_subqueries(sql: &str) -> Cow<'_, str> {
    let mut wrapper = Wrapper { wrapped: 0 };
    rewrite(
        sql,
        |statement| !reads_catalogs(statement),
        &mut wrapper,
        |wrapper| wrapper.wrapped,
    )
}

/// `sql` with `visitor` run over the statements `applies` to; `sql` itself when `changes` counts
/// none or it does not parse.
pub(crate) fn rewrite<'a, V: VisitorMut>(
    sql: &'a str,
    applies: fn(&Statement) -> bool,
    visitor: &mut V,
    changes: fn(&V) -> usize,
) -> Cow<'a, str> {
    let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Cow::Borrowed(sql);
    };
    for statement in statements.iter_mut().filter(|statement| applies(statement)) {
        let _ = statement.visit(visitor);
    }
    if changes(visitor) == 0 {
        return Cow::Borrowed(sql);
    }
    Cow::Owned(
        statements
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(";\n"),
    )
}

/// Whether `statement` reads `pg_catalog`, `information_schema` or a `pg_…` table.
pub(crate) fn reads_catalogs(statement: &Statement) -> bool {
    let mut catalogs = false;
    let _ = visit_relations(statement, |relation| {
        let name = relation.to_string().to_lowercase();
        let last = name.rsplit('.').next().unwrap_or_default().trim_matches('"');
        catalogs |= name.starts_with("information_schema") || last.starts_with("pg_");
        ControlFlow::<()>::Continue(())
    });
    catalogs
}

struct Wrapper {
    wrapped: usize,
}

impl VisitorMut for Wrapper {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            for item in &mut select.projection {
                if let SelectItem::UnnamedExpr(expression) | SelectItem::ExprWithAlias { expr: expression, .. } = item
                    && matches!(expression, Expr::Subquery(_))
                {
                    *expression = Expr::Nested(Box::new(expression.clone()));
                    self.wrapped += 1;
                }
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::keep_select_list_subqueries;

    #[test]
    fn an_analysts_select_list_subquery_is_parenthesized() {
        let sql = "select p.person_key, (select count(*) from fct_person_months m where m.person_key = p.person_key) \
                   as n from dim_persons p";
        let kept = keep_select_list_subqueries(sql);
        assert!(kept.contains("((SELECT count(*) FROM fct_person_months"), "{kept}");
        // Twice is the same as once: the parenthesized subquery is no select item of its own.
        assert_eq!(keep_select_list_subqueries(&kept), kept.as_ref());
    }

    #[test]
    fn catalog_queries_and_queries_without_subqueries_pass_unchanged() {
        for sql in [
            "select relname, (select count(*) from pg_catalog.pg_attribute a where a.attrelid = c.oid) from pg_class c",
            "select (select 1 from information_schema.tables limit 1)",
            "select person_key from dim_persons where person_key in (select person_key from fct_person_months)",
            "selec nothing",
        ] {
            assert_eq!(keep_select_list_subqueries(sql), sql);
        }
    }
}
