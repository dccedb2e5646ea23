-- Linked persons by the number of insurers that paid claims for them.
with per_person as (
  select m.person_key, count(distinct s.insurer_number) as insurers
  from claim_statements s
  join person_map m on m.identity_key = s.identity_key
  group by m.person_key
)
select insurers, count(*) as persons
from per_person
group by insurers
order by insurers
