-- dim_insurer_months: the insurer registry, one row per insurer and registry month, in one table
-- sorted by month (sidecar: dim_insurer_months.toml). The source keeps one file per delivery, as
-- its atomic reloads need; the roll-out models read this copy instead, with the month arithmetic
-- they share done once here (a month index is year * 12 + month - 1, so that months apart are
-- plain integer differences in any engine).
with registry as (
    select
        insurer_number,
        cast(as_of_month as int) as month_key,
        local_government_code,
        prefecture_code,
        insurer_name,
        size_class_code,
        n_member_municipalities,
        population_65_plus,
        population_40_64,
        area_grade,
        standardisation_fiscal_year,
        planned_start_on,
        started_on,
        status_code,
        cast(extract(year from planned_start_on) * 12 + extract(month from planned_start_on) - 1 as int)
            as planned_start_month_index,
        cast(extract(year from started_on) * 12 + extract(month from started_on) - 1 as int) as started_month_index
    from insurers
),

indexed as (
    select
        *,
        cast((month_key - month_key % 100) / 100 * 12 + month_key % 100 - 1 as int) as month_index
    from registry
)

select
    *,
    cast((month_index - 1 - (month_index - 1) % 12) / 12 * 100 + (month_index - 1) % 12 + 1 as int)
        as previous_month_key,
    cast((planned_start_month_index - planned_start_month_index % 12) / 12 * 100 + planned_start_month_index % 12 + 1
        as int) as planned_start_month_key,
    cast((started_month_index - started_month_index % 12) / 12 * 100 + started_month_index % 12 + 1 as int)
        as started_month_key
from indexed
order by month_key, insurer_number
