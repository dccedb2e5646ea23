-- DuckDB stand-ins for the kaigo SQL functions the models use (crates/query/src/udf.rs), so
-- DuckDB can run the same model SQL. Same definitions, written independently.
CREATE MACRO fiscal_year(day) AS CAST(year(day) - CASE WHEN month(day) < 4 THEN 1 ELSE 0 END AS INTEGER);
