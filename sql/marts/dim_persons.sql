-- dim_persons: one row per linked person with the attributes outcome models stratify by
-- (sidecar: dim_persons.toml).
with certified_attributes as (
    select
        person_map.person_key,
        certifications.sex_code,
        certifications.birth_year_month,
        certifications.board_on,
        row_number() over (
            partition by person_map.person_key
            order by certifications.board_on desc, certifications.delivery_month desc,
                certifications.source_file_id desc, certifications.source_line desc
        ) as recency
    from certifications
    inner join person_map on person_map.identity_key = certifications.identity_key
),

first_certified as (
    select
        person_map.person_key,
        min(certifications.board_on) as first_board_on,
        min(case when certifications.application_kind_code = '1' then certifications.board_on end) as new_board_on
    from certifications
    inner join person_map on person_map.identity_key = certifications.identity_key
    group by person_map.person_key
),

final as (
    select
        certified_attributes.person_key,
        certified_attributes.sex_code,
        certified_attributes.birth_year_month,
        cast(extract(year from first_certified.first_board_on) * 100
            + extract(month from first_certified.first_board_on) as int) as first_certified_month_key,
        cast(extract(year from first_certified.new_board_on) * 100
            + extract(month from first_certified.new_board_on) as int) as new_certification_month_key
    from certified_attributes
    inner join first_certified on first_certified.person_key = certified_attributes.person_key
    where certified_attributes.recency = 1
)

select * from final
order by person_key
