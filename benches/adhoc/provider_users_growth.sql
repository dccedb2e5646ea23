-- Month-on-month change in users reported by each provider, summed per insurer and month.
with changes as (
  select insurer_number, service_month,
         n_users - lag(n_users) over (partition by provider_number order by service_month, delivery_month) as change
  from provider_activity
)
select insurer_number, service_month, sum(change) as users_change, count(change) as providers
from changes
group by insurer_number, service_month
order by insurer_number, service_month
