-- dim_persons: one row per linked person with the attributes outcome models stratify by
-- (sidecar: dim_persons.toml). Sex and birth month are the latest certification's. The first
-- months are a group-by joined back, not windows over the whole person: such a window holds all
-- of its input outside the memory budget.
with latest as (
    select
        person_key,
        sex_code,
        birth_year_month
    from stg_certifications
    qualify row_number() over (
        partition by person_key
        order by board_on desc, delivery_month desc, source_file_id desc, source_line desc
    ) = 1
),

firsts as (
    select
        person_key,
        min(board_month_key) as first_certified_month_key,
        min(case when application_kind_code = '1' then board_month_key end) as new_certification_month_key
    from stg_certifications
    group by person_key
)

select
    latest.person_key,
    latest.sex_code,
    latest.birth_year_month,
    firsts.first_certified_month_key,
    firsts.new_certification_month_key
from latest
inner join firsts on firsts.person_key = latest.person_key
order by latest.person_key
