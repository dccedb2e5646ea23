-- Statements and cost by age band at the service month and care level.
select age_band(age_at_month(birth_year_month, cast(service_month as bigint))) as age_band,
       care_level_code, count(*) as statements, sum(insurance_claim_yen) as claim_yen
from claim_statements
group by 1, care_level_code
order by age_band, care_level_code
