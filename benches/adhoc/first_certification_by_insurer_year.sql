-- Persons by the insurer and fiscal year of their first certification application.
with ranked as (
  select m.person_key, c.insurer_number, c.application_on,
         row_number() over (
           partition by m.person_key
           order by c.application_on, c.delivery_month, c.source_file_id, c.source_line
         ) as position
  from certifications c
  join person_map m on m.identity_key = c.identity_key
)
select insurer_number, fiscal_year(application_on) as fiscal_year, count(*) as persons
from ranked
where position = 1
group by insurer_number, fiscal_year(application_on)
order by insurer_number, fiscal_year
