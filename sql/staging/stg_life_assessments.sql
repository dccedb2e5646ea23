-- stg_life_assessments: each loaded LIFE assessment with its linked person and month (sidecar:
-- stg_life_assessments.toml).
select
    person_map.person_key,
    life_assessments.identity_key,
    life_assessments.insurer_number,
    life_assessments.provider_number,
    life_assessments.care_level_code,
    cast(life_assessments.barthel_total as int) as barthel_total,
    life_assessments.evaluated_on,
    cast(extract(year from life_assessments.evaluated_on) * 100 + extract(month from life_assessments.evaluated_on)
        as int) as month_key,
    life_assessments.delivery_month,
    life_assessments.source_file_id,
    life_assessments.source_line
from life_assessments
inner join person_map on person_map.identity_key = life_assessments.identity_key
