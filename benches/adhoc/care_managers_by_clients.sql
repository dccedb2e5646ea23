-- The 50 care managers with the most clients, and their claimed fees.
select care_manager_number, count(distinct identity_key) as clients, sum(claim_yen) as claim_yen
from care_management_claims
group by care_manager_number
order by clients desc, care_manager_number
limit 50
