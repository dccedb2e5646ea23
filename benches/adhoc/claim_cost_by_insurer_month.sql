-- Claimed cost and statements per insurer and service month.
select insurer_number, service_month, count(*) as statements,
       sum(insurance_claim_yen) as claim_yen, sum(user_charge_yen) as user_charge_yen
from claim_statements
group by insurer_number, service_month
order by insurer_number, service_month
