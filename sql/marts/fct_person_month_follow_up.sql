-- fct_person_month_follow_up: each month of the person-month panel with what followed within a
-- year (sidecar: fct_person_month_follow_up.toml).
with indexed as (
    select
        *,
        cast((month_key - month_key % 100) / 100 * 12 + month_key % 100 - 1 as int) as month_index
    from fct_person_months
)

-- A person has one row a month, so a range of month indexes is those months. A bounded frame
-- streams over the sorted rows; a frame to the end of the partition would hold all of them.
select
    person_key,
    month_key,
    insurer_number,
    care_level_code,
    n_statements,
    is_facility,
    died_in_month,
    coalesce(max(case when died_in_month then 1 else 0 end) over (
        partition by person_key order by month_index range between 1 following and 12 following
    ), 0) = 1 as dies_within_year,
    coalesce(max(case when is_facility then 1 else 0 end) over (
        partition by person_key order by month_index range between 1 following and 12 following
    ), 0) = 1 as facility_within_year
from indexed
