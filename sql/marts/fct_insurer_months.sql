-- fct_insurer_months: claims received per insurer and service month (sidecar: fct_insurer_months.toml).
-- Users are counted by grouping per identity first: a count(distinct) beside the sums holds a
-- set of identities per group, and under a 1 GiB budget at 355,000 persons it could not spill.
with per_identity as (
    select
        insurer_number,
        month_key,
        identity_key,
        count(*) as n_statements,
        sum(insurance_units) as insurance_units,
        sum(cost_yen) as cost_yen,
        min(delivery_month_key) as first_delivery_month_key
    from stg_claim_statements
    group by insurer_number, month_key, identity_key
)

select
    insurer_number,
    month_key,
    cast(sum(n_statements) as bigint) as n_statements,
    count(*) as n_users,
    cast(sum(insurance_units) as bigint) as insurance_units,
    cast(sum(cost_yen) as bigint) as cost_yen,
    min(first_delivery_month_key) as first_delivery_month_key
from per_identity
group by insurer_number, month_key
order by insurer_number, month_key
