-- fct_insurer_months: claims received per insurer and service month (sidecar: fct_insurer_months.toml).
with statements as (
    select
        insurer_number,
        cast(service_month as int) as month_key,
        cast(delivery_month as int) as delivery_month_key,
        identity_key,
        insurance_units,
        insurance_claim_yen + user_charge_yen as cost_yen
    from claim_statements
),

final as (
    select
        insurer_number,
        month_key,
        count(*) as n_statements,
        count(distinct identity_key) as n_users,
        sum(insurance_units) as insurance_units,
        sum(cost_yen) as cost_yen,
        min(delivery_month_key) as first_delivery_month_key
    from statements
    group by insurer_number, month_key
)

select * from final
order by insurer_number, month_key
