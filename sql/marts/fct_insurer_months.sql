-- fct_insurer_months: claims received per insurer and service month (sidecar: fct_insurer_months.toml).
select
    insurer_number,
    month_key,
    count(*) as n_statements,
    count(distinct identity_key) as n_users,
    sum(insurance_units) as insurance_units,
    sum(cost_yen) as cost_yen,
    min(delivery_month_key) as first_delivery_month_key
from stg_claim_statements
group by insurer_number, month_key
order by insurer_number, month_key
