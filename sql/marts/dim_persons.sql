-- dim_persons: one row per linked person with the attributes outcome models stratify by
-- (sidecar: dim_persons.toml). Sex and birth month are the latest certification's.
select
    person_key,
    sex_code,
    birth_year_month,
    min(board_month_key) over (partition by person_key) as first_certified_month_key,
    min(case when application_kind_code = '1' then board_month_key end) over (partition by person_key)
        as new_certification_month_key
from stg_certifications
qualify row_number() over (
    partition by person_key
    order by board_on desc, delivery_month desc, source_file_id desc, source_line desc
) = 1
order by person_key
