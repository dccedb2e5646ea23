-- DuckDB stand-ins for the kaigo SQL functions the models use (crates/query/src/udf.rs), so
-- DuckDB can run the same model SQL. Same definitions, written independently.
CREATE MACRO fiscal_year(day) AS CAST(year(day) - CASE WHEN month(day) < 4 THEN 1 ELSE 0 END AS INTEGER);
CREATE MACRO age_band(age) AS CASE
    WHEN age IS NULL THEN NULL
    WHEN age < 65 THEN '<65'
    WHEN age >= 95 THEN '95+'
    ELSE CAST(65 + (age - 65) // 5 * 5 AS VARCHAR) || '-' || CAST(65 + (age - 65) // 5 * 5 + 4 AS VARCHAR)
END;
CREATE MACRO care_level_ordinal(code) AS CASE code
    WHEN '01' THEN 0 WHEN '11' THEN 1 WHEN '12' THEN 1 WHEN '13' THEN 2 WHEN '21' THEN 3
    WHEN '22' THEN 4 WHEN '23' THEN 5 WHEN '24' THEN 6 WHEN '25' THEN 7
END;
CREATE MACRO age_at_month(birth_year_month, month_key) AS
    CAST(month_key // 100 - CAST(substr(birth_year_month, 1, 4) AS BIGINT)
        - CASE WHEN month_key % 100 < CAST(substr(birth_year_month, 6, 2) AS BIGINT) THEN 1 ELSE 0 END AS BIGINT);
CREATE MACRO percent(part, whole) AS CASE WHEN whole > 0 THEN 100.0 * part / whole END;
