//! The cohort condition of a request, parsed (sqlparser) into an allow-listed expression and
//! rendered back to SQL by this module alone: the text a researcher wrote never reaches a query.
//!
//! Allowed: columns of `fct_person_months` named in the request's table (never a key), literals
//! (numbers, strings, booleans, NULL), comparisons (`= <> < <= > >=`), `AND`, `OR`, `NOT`,
//! parentheses, `IN (literals)`, `BETWEEN literal AND literal`, `IS [NOT] NULL`. Anything else —
//! functions, casts, subqueries, arithmetic, a second statement, text after the condition — is
//! refused, naming the rule and never repeating a value.

use datafusion::sql::sqlparser::{
    ast::{BinaryOperator, Expr, UnaryOperator, Value},
    dialect::PostgreSqlDialect,
    parser::Parser,
    tokenizer::Token,
};

use crate::{ExtractError, Result};

/// Columns a cohort may never test: keys pick out single persons.
const KEYS: [&str; 2] = ["person_key", "identity_key"];

/// A checked cohort condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    sql: String,
}

fn refuse(rule: &str) -> ExtractError {
    ExtractError::Refused {
        reason: format!("cohort: {rule}"),
    }
}

impl Cohort {
    /// Parse `text` as one condition over `columns` (the columns of `fct_person_months`).
    pub fn parse(text: &str, columns: &[String]) -> Result<Self> {
        let dialect = PostgreSqlDialect {};
        let mut parser = Parser::new(&dialect)
            .try_with_sql(text)
            .map_err(|_| refuse("not a well-formed SQL condition"))?;
        let expression = parser
            .parse_expr()
            .map_err(|_| refuse("not a well-formed SQL condition"))?;
        if parser.peek_token().token != Token::EOF {
            return Err(refuse(
                "one condition only: text follows it (a ')', ';' or another clause)",
            ));
        }
        let mut sql = String::new();
        render(&expression, columns, &mut sql)?;
        Ok(Self { sql })
    }

    /// The condition as SQL written by this module: quoted identifiers, escaped literals.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

fn render(expression: &Expr, columns: &[String], out: &mut String) -> Result<()> {
    match expression {
        Expr::Identifier(identifier) => column(&identifier.value, columns, out),
        Expr::CompoundIdentifier(_) => Err(refuse("name columns without a table")),
        Expr::Value(value) => literal(&value.value, out),
        Expr::Nested(inner) => {
            out.push('(');
            render(inner, columns, out)?;
            out.push(')');
            Ok(())
        }
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => {
            out.push_str("not (");
            render(expr, columns, out)?;
            out.push(')');
            Ok(())
        }
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } if matches!(**expr, Expr::Value(_)) => {
            out.push('-');
            render(expr, columns, out)
        }
        Expr::BinaryOp { left, op, right } => {
            let operator = match op {
                BinaryOperator::And => "and",
                BinaryOperator::Or => "or",
                BinaryOperator::Eq => "=",
                BinaryOperator::NotEq => "<>",
                BinaryOperator::Lt => "<",
                BinaryOperator::LtEq => "<=",
                BinaryOperator::Gt => ">",
                BinaryOperator::GtEq => ">=",
                _ => return Err(refuse("only = <> < <= > >= AND OR NOT compare and combine conditions")),
            };
            out.push('(');
            render(left, columns, out)?;
            out.push_str(&format!(" {operator} "));
            render(right, columns, out)?;
            out.push(')');
            Ok(())
        }
        Expr::InList { expr, list, negated } => {
            out.push('(');
            render(expr, columns, out)?;
            out.push_str(if *negated { " not in (" } else { " in (" });
            for (index, item) in list.iter().enumerate() {
                let Expr::Value(value) = item else {
                    return Err(refuse("IN takes a list of literals"));
                };
                if index > 0 {
                    out.push_str(", ");
                }
                literal(&value.value, out)?;
            }
            out.push_str("))");
            Ok(())
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let (Expr::Value(low), Expr::Value(high)) = (&**low, &**high) else {
                return Err(refuse("BETWEEN takes two literals"));
            };
            out.push('(');
            render(expr, columns, out)?;
            out.push_str(if *negated { " not between " } else { " between " });
            literal(&low.value, out)?;
            out.push_str(" and ");
            literal(&high.value, out)?;
            out.push(')');
            Ok(())
        }
        Expr::IsNull(inner) | Expr::IsNotNull(inner) => {
            out.push('(');
            render(inner, columns, out)?;
            out.push_str(if matches!(expression, Expr::IsNull(_)) {
                " is null)"
            } else {
                " is not null)"
            });
            Ok(())
        }
        _ => Err(refuse(
            "only columns, literals, comparisons, AND/OR/NOT, IN, BETWEEN and IS NULL \
             (no functions, casts, arithmetic or subqueries)",
        )),
    }
}

fn column(name: &str, columns: &[String], out: &mut String) -> Result<()> {
    let name = name.to_ascii_lowercase();
    if KEYS.contains(&name.as_str()) {
        return Err(refuse("a key picks out persons; condition on their attributes"));
    }
    if !columns.contains(&name) {
        return Err(refuse("names a column fct_person_months does not have"));
    }
    out.push('"');
    out.push_str(&name);
    out.push('"');
    Ok(())
}

fn literal(value: &Value, out: &mut String) -> Result<()> {
    match value {
        Value::Number(number, _) => {
            if number.parse::<f64>().is_err() {
                return Err(refuse("a number literal does not parse"));
            }
            out.push_str(number);
        }
        Value::SingleQuotedString(text) => {
            out.push('\'');
            out.push_str(&text.replace('\'', "''"));
            out.push('\'');
        }
        Value::Boolean(value) => out.push_str(if *value { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        _ => return Err(refuse("literals are numbers, 'strings', true, false or null")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<String> {
        ["person_key", "month_key", "care_level_code", "is_facility", "cost_yen"]
            .map(String::from)
            .to_vec()
    }

    fn parsed(text: &str) -> std::result::Result<String, String> {
        Cohort::parse(text, &columns())
            .map(|cohort| cohort.sql().to_string())
            .map_err(|error| error.to_string())
    }

    #[test]
    fn allowed_conditions_are_rendered_from_the_tree() {
        assert_eq!(
            parsed("care_level_code in ('21', '22') and not is_facility").unwrap(),
            "((\"care_level_code\" in ('21', '22')) and not (\"is_facility\"))"
        );
        assert_eq!(
            parsed("COST_YEN between 0 and 1e6 or care_level_code is null").unwrap(),
            "((\"cost_yen\" between 0 and 1e6) or (\"care_level_code\" is null))"
        );
        assert_eq!(parsed("true").unwrap(), "true");
        assert_eq!(
            parsed("care_level_code = 'it''s'").unwrap(),
            "(\"care_level_code\" = 'it''s')"
        );
    }

    #[test]
    fn injections_and_everything_else_are_refused_by_rule_without_values() {
        for (text, rule) in [
            ("true) or (true", "text follows it"),
            ("true; drop table x", "text follows it"),
            ("cast(person_key as int) = 0", "no functions, casts"),
            ("person_key = 'abc'", "a key picks out persons"),
            ("care_level_code in (select 1)", "subqueries"),
            ("care_level_code in ('a', upper('b'))", "IN takes a list of literals"),
            ("exists (select 1)", "no functions"),
            ("upper(care_level_code) = '21'", "no functions"),
            ("cost_yen + 1 > 0", "only = <> <"),
            ("fct_person_months.cost_yen > 0", "without a table"),
            ("secret_column = 1", "does not have"),
            ("care_level_code = 'abc' -- comment", ""),
            ("", "not a well-formed"),
        ] {
            match parsed(text) {
                Ok(sql) => assert!(rule.is_empty() && !sql.contains("--"), "{text} passed as {sql}"),
                Err(error) => {
                    assert!(error.contains(rule), "{text}: {error}");
                    assert!(!error.contains("abc") && !error.contains("secret"), "{error}");
                }
            }
        }
    }
}
