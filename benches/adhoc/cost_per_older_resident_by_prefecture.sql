-- Claimed cost per resident aged 65 and over, by prefecture and fiscal year (the insurers of the
-- latest delivery).
with latest as (
  select insurer_number, prefecture_code, population_65_plus
  from insurers
  where delivery_month = (select max(delivery_month) from insurers)
),
cost as (
  select insurer_number,
         cast(substr(service_month, 1, 4) as int) - case when substr(service_month, 5, 2) < '04' then 1 else 0 end as fiscal_year,
         sum(insurance_claim_yen) as claim_yen
  from claim_statements
  group by 1, 2
)
select prefecture_code, fiscal_year, claim_yen,
       cast(claim_yen as double) / older_residents as yen_per_older_resident
from (
  select i.prefecture_code, c.fiscal_year, sum(c.claim_yen) as claim_yen,
         sum(i.population_65_plus) as older_residents
  from cost c
  join latest i on i.insurer_number = c.insurer_number
  group by i.prefecture_code, c.fiscal_year
) by_prefecture
order by prefecture_code, fiscal_year
