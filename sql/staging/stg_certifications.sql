-- stg_certifications: each loaded certification with its linked person and its dates as months
-- (sidecar: stg_certifications.toml). A month key is YYYYMM; a month index is year * 12 + month - 1,
-- so that months apart are integer differences.
select
    person_map.person_key,
    certifications.identity_key,
    certifications.insurer_number,
    certifications.sex_code,
    certifications.birth_year_month,
    certifications.application_kind_code,
    certifications.opinion_on,
    cast(extract(year from certifications.opinion_on) * 100 + extract(month from certifications.opinion_on) as int)
        as opinion_month_key,
    certifications.is_opinion_electronic,
    certifications.board_on,
    cast(extract(year from certifications.board_on) * 100 + extract(month from certifications.board_on) as int)
        as board_month_key,
    certifications.care_level_code,
    certifications.valid_from,
    certifications.valid_to,
    extract(year from certifications.valid_from) * 12 + extract(month from certifications.valid_from) - 1
        as valid_from_month_index,
    extract(year from certifications.valid_to) * 12 + extract(month from certifications.valid_to) - 1
        as valid_to_month_index,
    certifications.delivery_month,
    certifications.source_file_id,
    certifications.source_line
from certifications
inner join person_map on person_map.identity_key = certifications.identity_key
