-- rollout_coverage_by_prefecture_month: how much of the country the hub covers, by prefecture,
-- size class and nationally, per registry month (sidecar: rollout_coverage_by_prefecture_month.toml).
with status as (
    select
        prefecture_code,
        size_class_code,
        month_key,
        is_live,
        is_scheduled_by_target,
        is_data_flowing,
        population_65_plus,
        n_certified,
        case when is_live then 0 else population_65_plus * 0.19 end as n_certified_expected_not_live
    from rollout_status_by_insurer_month
),

rolled_up as (
    select
        coalesce(prefecture_code, 'all') as prefecture_code,
        coalesce(size_class_code, 'all') as size_class_code,
        month_key,
        count(*) as n_insurers,
        sum(case when is_live then 1 else 0 end) as n_live,
        sum(case when is_data_flowing then 1 else 0 end) as n_data_flowing,
        sum(case when is_scheduled_by_target then 0 else 1 end) as n_not_scheduled_by_target,
        sum(population_65_plus) as population_65_plus,
        sum(case when is_live then population_65_plus else 0 end) as population_65_plus_live,
        sum(n_certified) as n_certified_live,
        sum(n_certified_expected_not_live) as n_certified_expected_not_live
    from status
    group by grouping sets (
        (prefecture_code, size_class_code, month_key),
        (prefecture_code, month_key),
        (size_class_code, month_key),
        (month_key)
    )
),

final as (
    select
        prefecture_code,
        size_class_code,
        month_key,
        n_insurers,
        n_live,
        100.0 * n_live / n_insurers as live_pct,
        n_data_flowing,
        n_not_scheduled_by_target,
        population_65_plus,
        population_65_plus_live,
        percent(population_65_plus_live, population_65_plus) as population_live_pct,
        n_certified_live,
        n_certified_expected_not_live,
        percent(n_certified_live, n_certified_live + n_certified_expected_not_live) as certified_covered_pct
    from rolled_up
)

select * from final
order by month_key, prefecture_code, size_class_code
