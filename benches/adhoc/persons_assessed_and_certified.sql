-- Linked persons with a LIFE assessment, and of them those with a certification, per insurer of
-- the assessment.
with assessed as (
  select distinct l.insurer_number, m.person_key
  from life_assessments l
  join person_map m on m.identity_key = l.identity_key
),
certified as (
  select distinct m.person_key
  from certifications c
  join person_map m on m.identity_key = c.identity_key
)
select a.insurer_number, count(*) as assessed, count(c.person_key) as also_certified
from assessed a
left join certified c on c.person_key = a.person_key
group by a.insurer_number
order by a.insurer_number
