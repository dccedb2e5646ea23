-- Services written into care plans, by service kind: plans and distinct providers.
select service_kind_code, count(*) as services, count(distinct identity_key) as identities,
       count(distinct provider_number) as providers
from care_plan_services
group by service_kind_code
order by service_kind_code
