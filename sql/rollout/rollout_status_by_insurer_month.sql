-- rollout_status_by_insurer_month: roll-out status and data flow per insurer and registry month
-- (sidecar: rollout_status_by_insurer_month.toml). Month arithmetic goes through the month
-- indexes of dim_insurer_months (year * 12 + month - 1).
with claims as (
    select insurer_number, month_key, n_statements, n_users, first_delivery_month_key
    from fct_insurer_months
),

certified_persons as (
    select insurer_number, month_key, n_certified
    from fct_insurer_panel_months
),

history as (
    select
        cast((min(month_key) - min(month_key) % 100) / 100 * 12 + min(month_key) % 100 - 1 as int)
            as first_month_index
    from claims
),

keyed as (
    select
        registry.insurer_number,
        registry.month_key,
        registry.prefecture_code,
        registry.size_class_code,
        registry.status_code,
        registry.standardisation_fiscal_year,
        registry.planned_start_on,
        registry.started_on,
        registry.population_65_plus,
        registry.month_index,
        registry.previous_month_key,
        registry.planned_start_month_index,
        registry.planned_start_month_key,
        registry.started_month_index,
        registry.started_month_key,
        history.first_month_index,
        registry.population_65_plus * 0.19 * 0.765 as n_users_expected,
        -- Fewer users than this is improbably few (see the sidecar), so the data is not flowing.
        least(
            0.5 * registry.population_65_plus * 0.19 * 0.765,
            registry.population_65_plus * 0.19 * 0.765 - 3 * sqrt(registry.population_65_plus * 0.19 * 0.765)
        ) as users_flowing_threshold,
        registry.started_month_index is not null and registry.started_month_index <= registry.month_index as is_live
    from dim_insurer_months as registry
    cross join history
),

last_month as (
    select
        keyed.insurer_number,
        keyed.month_key,
        claims.n_statements,
        claims.n_users
    from keyed
    inner join claims
        on claims.insurer_number = keyed.insurer_number
        and claims.month_key = keyed.previous_month_key
        and claims.first_delivery_month_key <= keyed.month_key
),

backfill as (
    select
        keyed.insurer_number,
        keyed.month_key,
        count(*) as n_history_months_received
    from keyed
    inner join claims
        on claims.insurer_number = keyed.insurer_number
        and claims.first_delivery_month_key <= keyed.month_key
        and claims.month_key < keyed.started_month_key
    where keyed.is_live
    group by keyed.insurer_number, keyed.month_key
),

final as (
    select
        keyed.insurer_number,
        keyed.month_key,
        keyed.prefecture_code,
        keyed.size_class_code,
        keyed.status_code,
        keyed.standardisation_fiscal_year,
        keyed.planned_start_month_key,
        keyed.started_month_key,
        keyed.is_live,
        cast(case when keyed.is_live then keyed.month_index - keyed.started_month_index + 1 else 0 end as int)
            as n_months_live,
        keyed.started_month_index - keyed.planned_start_month_index as start_delay_months,
        keyed.started_on is not null or coalesce(keyed.planned_start_on <= date '2028-03-31', false)
            as is_scheduled_by_target,
        keyed.population_65_plus,
        keyed.n_users_expected,
        keyed.users_flowing_threshold,
        coalesce(last_month.n_statements, 0) as n_statements,
        coalesce(last_month.n_users, 0) as n_users,
        case
            when keyed.population_65_plus > 0
                then 100.0 * coalesce(last_month.n_users, 0) / keyed.n_users_expected
        end as users_vs_expected_pct,
        keyed.is_live and coalesce(last_month.n_users, 0) >= keyed.users_flowing_threshold as is_data_flowing,
        case when keyed.is_live then coalesce(certified_persons.n_certified, 0) else 0 end as n_certified,
        case when keyed.is_live then keyed.started_month_index - keyed.first_month_index end
            as n_history_months_expected,
        coalesce(backfill.n_history_months_received, 0) as n_history_months_received,
        case
            when keyed.is_live and keyed.started_month_index > keyed.first_month_index
                then 100.0 * coalesce(backfill.n_history_months_received, 0)
                / (keyed.started_month_index - keyed.first_month_index)
        end as backfill_pct
    from keyed
    left join last_month on last_month.insurer_number = keyed.insurer_number and last_month.month_key = keyed.month_key
    left join backfill on backfill.insurer_number = keyed.insurer_number and backfill.month_key = keyed.month_key
    left join certified_persons
        on certified_persons.insurer_number = keyed.insurer_number
        and certified_persons.month_key = keyed.previous_month_key
)

select * from final
order by month_key, insurer_number
