-- The 100 providers with the most service units, with their distinct users.
select provider_number, sum(service_units) as units, count(distinct identity_key) as users
from claim_lines
group by provider_number
order by units desc, provider_number
limit 100
