-- Claimed cost per linked person and calendar year, then its mean and maximum per year.
with per_person as (
  select m.person_key, substr(s.service_month, 1, 4) as service_year,
         sum(s.insurance_claim_yen) as claim_yen
  from claim_statements s
  join person_map m on m.identity_key = s.identity_key
  group by m.person_key, substr(s.service_month, 1, 4)
)
select service_year, count(*) as persons, avg(claim_yen) as mean_yen, max(claim_yen) as max_yen
from per_person
group by service_year
order by service_year
