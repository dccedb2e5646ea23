-- Care-level transitions between a person's successive certifications.
with ordered as (
  select m.person_key, c.care_level_code,
         lag(c.care_level_code) over (
           partition by m.person_key
           order by c.valid_from, c.application_on, c.delivery_month, c.source_file_id, c.source_line
         ) as previous_level
  from certifications c
  join person_map m on m.identity_key = c.identity_key
)
select previous_level, care_level_code, count(*) as certifications
from ordered
where previous_level is not null
group by previous_level, care_level_code
order by previous_level, care_level_code
