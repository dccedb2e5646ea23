-- Facility days claimed per service month and care level.
select service_month, care_level_code, count(*) as stays, sum(n_facility_days) as facility_days
from claim_statements
where n_facility_days > 0
group by service_month, care_level_code
order by service_month, care_level_code
