-- rollout_go_live_by_fiscal_year: insurers going live per fiscal year, by size class, as the
-- latest registry shows it (sidecar: rollout_go_live_by_fiscal_year.toml).
with latest as (
    select
        insurer_number,
        size_class_code,
        started_month_key,
        planned_start_month_key
    from rollout_status_by_insurer_month
    where month_key = (select max(month_key) from rollout_status_by_insurer_month)
),

scheduled as (
    select
        insurer_number,
        size_class_code,
        started_month_key is not null as is_started,
        fiscal_year(
            make_date(
                cast((coalesce(started_month_key, planned_start_month_key)
                    - coalesce(started_month_key, planned_start_month_key) % 100) / 100 as int),
                cast(coalesce(started_month_key, planned_start_month_key) % 100 as int),
                1
            )
        ) as fiscal_year
    from latest
),

class_sizes as (
    select coalesce(size_class_code, 'all') as size_class_code, count(*) as n_insurers
    from latest
    group by grouping sets ((size_class_code), ())
),

by_year as (
    select
        coalesce(size_class_code, 'all') as size_class_code,
        fiscal_year,
        sum(case when is_started then 1 else 0 end) as n_started,
        sum(case when is_started then 0 else 1 end) as n_planned
    from scheduled
    where fiscal_year is not null
    group by grouping sets ((size_class_code, fiscal_year), (fiscal_year))
),

final as (
    select
        by_year.size_class_code,
        by_year.fiscal_year,
        class_sizes.n_insurers,
        by_year.n_started,
        by_year.n_planned,
        100.0 * (by_year.n_started + by_year.n_planned) / class_sizes.n_insurers as go_live_pct,
        100.0 * sum(by_year.n_started + by_year.n_planned) over (
            partition by by_year.size_class_code
            order by by_year.fiscal_year
            rows between unbounded preceding and current row
        ) / class_sizes.n_insurers as cumulative_go_live_pct
    from by_year
    inner join class_sizes on class_sizes.size_class_code = by_year.size_class_code
)

select * from final
order by size_class_code, fiscal_year
