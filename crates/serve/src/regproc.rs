//! `pg_type`'s function columns compared with 0, as drivers ask whether a type has a function.
//!
//! In PostgreSQL `typreceive`, `typsend` and the other function columns of `pg_type` are
//! `regproc`: an oid, 0 for none, shown as the function's name or `-`. The emulated catalog
//! (datafusion-pg-catalog 0.19) holds the shown text, so `typreceive != 0` (sent at connect by
//! the ADBC PostgreSQL driver) fails to cast 'boolrecv' to a number. In statements that read
//! the catalogs, such a comparison is rewritten to compare with `'-'`, which means the same.

use std::{borrow::Cow, ops::ControlFlow};

use datafusion::sql::sqlparser::ast::{BinaryOperator, Expr, Value, VisitorMut};

use crate::subqueries::{reads_catalogs, rewrite};

/// The `regproc` columns of `pg_type`.
const FUNCTION_COLUMNS: [&str; 8] = [
    "typinput",
    "typoutput",
    "typreceive",
    "typsend",
    "typmodin",
    "typmodout",
    "typanalyze",
    "typsubscript",
];

/// `sql` with each `<function column> = 0` / `<> 0` of its catalog statements compared with
/// `'-'` instead; `sql` itself when there is none or it does not parse.
pub(crate) fn compare_function_columns_by_name(sql: &str) -> Cow<'_, str> {
    let mut rewriter = Rewriter { rewritten: 0 };
    rewrite(sql, reads_catalogs, &mut rewriter, |rewriter| rewriter.rewritten)
}

struct Rewriter {
    rewritten: usize,
}

fn is_function_column(expression: &Expr) -> bool {
    let name = match expression {
        Expr::Identifier(identifier) => &identifier.value,
        Expr::CompoundIdentifier(parts) => match parts.last() {
            Some(last) => &last.value,
            None => return false,
        },
        _ => return false,
    };
    FUNCTION_COLUMNS.contains(&name.to_lowercase().as_str())
}

fn is_zero(expression: &Expr) -> bool {
    matches!(expression, Expr::Value(value) if matches!(&value.value, Value::Number(number, _) if *number == "0"))
}

impl VisitorMut for Rewriter {
    type Break = ();

    fn pre_visit_expr(&mut self, expression: &mut Expr) -> ControlFlow<()> {
        if let Expr::BinaryOp { left, op, right } = expression
            && matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq)
        {
            let dash = || Expr::Value(Value::SingleQuotedString("-".into()).into());
            if is_function_column(left) && is_zero(right) {
                **right = dash();
                self.rewritten += 1;
            } else if is_function_column(right) && is_zero(left) {
                **left = dash();
                self.rewritten += 1;
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_column_compared_with_zero_is_compared_with_the_dash() {
        let sql =
            "SELECT oid, typname FROM pg_catalog.pg_type WHERE (typreceive != 0 OR 0 <> t.typsend) AND typtype != 'r'";
        assert_eq!(
            compare_function_columns_by_name(sql),
            "SELECT oid, typname FROM pg_catalog.pg_type WHERE (typreceive <> '-' OR '-' <> t.typsend) AND typtype <> 'r'"
        );
    }

    #[test]
    fn other_statements_and_columns_are_left_alone() {
        for sql in [
            "select typreceive from t where typreceive != 0",
            "select * from pg_catalog.pg_type where typlen != 0",
            "select * from pg_catalog.pg_type where typreceive != 1",
            "not sql at all",
        ] {
            assert!(
                matches!(compare_function_columns_by_name(sql), Cow::Borrowed(_)),
                "{sql}"
            );
        }
    }
}
