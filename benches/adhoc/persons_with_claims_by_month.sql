-- Linked persons with a claim each service month (through person_map).
select s.service_month, count(distinct m.person_key) as persons, count(*) as statements
from claim_statements s
join person_map m on m.identity_key = s.identity_key
group by s.service_month
order by s.service_month
