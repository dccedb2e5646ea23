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

-- One pass counts each size class and all insurers per fiscal year; the insurers without a
-- (planned) start form the fiscal year null, so that a class's size is the sum over its years
-- (a second aggregate of `latest` for the class sizes, joined back, made the query half again
-- as slow to plan and run in DataFusion).
by_year as (
    select
        coalesce(size_class_code, 'all') as size_class_code,
        fiscal_year,
        count(*) as n_insurers_of_year,
        sum(case when is_started then 1 else 0 end) as n_started,
        sum(case when is_started then 0 else 1 end) as n_planned
    from scheduled
    group by grouping sets ((size_class_code, fiscal_year), (fiscal_year))
),

final as (
    select
        size_class_code,
        fiscal_year,
        cast(sum(n_insurers_of_year) over (partition by size_class_code) as bigint) as n_insurers,
        n_started,
        n_planned,
        100.0 * (n_started + n_planned) / sum(n_insurers_of_year) over (partition by size_class_code) as go_live_pct,
        100.0 * sum(n_started + n_planned) over (
            partition by size_class_code
            -- The year null last, so that no year's cumulative share counts it.
            order by fiscal_year nulls last
            rows between unbounded preceding and current row
        ) / sum(n_insurers_of_year) over (partition by size_class_code) as cumulative_go_live_pct
    from by_year
)

select * from final
-- After the windows: the class sizes count the insurers without a year.
where fiscal_year is not null
order by size_class_code, fiscal_year
