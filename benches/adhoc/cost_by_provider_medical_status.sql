-- Claimed cost by whether the provider is a medical institution and its area grade (the
-- providers of the latest delivery).
with latest as (
  select provider_number, is_medical_institution, area_grade
  from providers
  where delivery_month = (select max(delivery_month) from providers)
)
select p.is_medical_institution, p.area_grade, count(*) as statements,
       sum(s.insurance_claim_yen) as claim_yen
from claim_statements s
join latest p on p.provider_number = s.provider_number
group by p.is_medical_institution, p.area_grade
order by p.is_medical_institution, p.area_grade
