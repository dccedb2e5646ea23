-- outcomes_adl_maintenance_by_provider: the ADL維持等加算 result of each provider and fiscal year —
-- the trimmed mean ADL利得 and the tier it reaches (domain.md §5.1; sidecar:
-- outcomes_adl_maintenance_by_provider.toml).
with evaluations as (
    select provider_number, fiscal_year, adl_gain
    from fct_adl_evaluations
),

-- Users ranked by ADL利得 within the provider and year. Which of several equal gains gets which
-- rank is left to the engine: the trimmed sum takes the gains at ranks t + 1 … n − t, and those
-- are the same values whichever way ties are broken, so the result is deterministic without a
-- tie-breaker (one by person_key made this query 1.6 times as slow at 500,000 persons).
ranked as (
    select
        provider_number,
        fiscal_year,
        adl_gain,
        -- bigint like the counts it is compared with (an unsigned rank against a signed count
        -- would compare as decimals).
        cast(row_number() over (partition by provider_number, fiscal_year order by adl_gain) as bigint)
            as gain_rank,
        -- The rank's window with the whole partition as frame: DataFusion then counts and ranks
        -- in one pass over the sorted partition, not two.
        count(*) over (
            partition by provider_number, fiscal_year order by adl_gain
            rows between unbounded preceding and unbounded following
        ) as n_assessed
    from evaluations
    where adl_gain is not null
),

-- 10 % off each end, fractions truncated.
trimmed as (
    select
        provider_number,
        fiscal_year,
        adl_gain,
        n_assessed,
        cast((n_assessed - n_assessed % 10) / 10 as bigint) as n_trimmed_each_end,
        gain_rank
    from ranked
),

assessed as (
    select
        provider_number,
        fiscal_year,
        max(n_trimmed_each_end) as n_trimmed_each_end,
        1.0 * sum(adl_gain) / count(*) as mean_adl_gain,
        1.0 * sum(case when gain_rank > n_trimmed_each_end and gain_rank <= n_assessed - n_trimmed_each_end then adl_gain end)
        / sum(case when gain_rank > n_trimmed_each_end and gain_rank <= n_assessed - n_trimmed_each_end then 1 end)
            as trimmed_mean_adl_gain
    from trimmed
    group by provider_number, fiscal_year
),

population as (
    select
        provider_number,
        fiscal_year,
        count(*) as n_users,
        sum(case when adl_gain is not null then 1 else 0 end) as n_assessed
    from evaluations
    group by provider_number, fiscal_year
),

final as (
    select
        population.provider_number,
        population.fiscal_year,
        population.n_users,
        population.n_assessed,
        100.0 * population.n_assessed / population.n_users as assessed_pct,
        coalesce(assessed.n_trimmed_each_end, 0) as n_trimmed_each_end,
        assessed.mean_adl_gain,
        assessed.trimmed_mean_adl_gain,
        case
            when population.n_assessed < 10 then 'too_few_users'
            when assessed.trimmed_mean_adl_gain >= 3 then 'II'
            when assessed.trimmed_mean_adl_gain >= 1 then 'I'
            else 'not_reached'
        end as add_on_tier
    from population
    left join assessed
        on assessed.provider_number = population.provider_number and assessed.fiscal_year = population.fiscal_year
)

select * from final
order by fiscal_year, provider_number
