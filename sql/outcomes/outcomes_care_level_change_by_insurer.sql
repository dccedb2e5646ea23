-- outcomes_care_level_change_by_insurer: 12-month change in care level and death, per insurer
-- and April cohort, crude and directly age–sex standardized, with 95 % confidence intervals and
-- funnel-plot control limits (sidecar: outcomes_care_level_change_by_insurer.toml).
with panel as (
    select person_key, month_key, insurer_number, care_level_code, died_in_month
    from fct_person_months
),

persons as (
    select person_key, sex_code, birth_year_month
    from dim_persons
),

-- April months whose follow-up month (12 later) the panel covers.
cohort_months as (
    select distinct month_key as base_month_key
    from panel
    where month_key % 100 = 4
        and month_key + 100 <= (select max(month_key) from panel)
),

-- Everyone certified (要支援1 … 要介護5) in a cohort month, with the stratum of that month.
cohort as (
    select
        panel.person_key,
        panel.insurer_number,
        cohort_months.base_month_key,
        care_level_ordinal(panel.care_level_code) as base_ordinal,
        persons.sex_code,
        age_band(
            cast((cohort_months.base_month_key - cohort_months.base_month_key % 100) / 100 as bigint)
            - cast(substr(persons.birth_year_month, 1, 4) as bigint)
            - case when cohort_months.base_month_key % 100 < cast(substr(persons.birth_year_month, 6, 2) as bigint)
                then 1 else 0 end
        ) as age_band
    from panel
    inner join cohort_months on cohort_months.base_month_key = panel.month_key
    inner join persons on persons.person_key = panel.person_key
    where panel.care_level_code in ('12', '13', '21', '22', '23', '24', '25')
),

-- Follow-up: months certified and death in the 12 months after the cohort month.
follow_up as (
    select
        cohort.person_key,
        cohort.base_month_key,
        sum(case when panel.care_level_code in ('12', '13', '21', '22', '23', '24', '25') then 1 else 0 end)
            as n_certified_months,
        max(case when panel.died_in_month then 1 else 0 end) as died,
        max(case when panel.month_key = cohort.base_month_key + 100 then care_level_ordinal(panel.care_level_code) end)
            as end_ordinal
    from cohort
    inner join panel
        on panel.person_key = cohort.person_key
        and panel.month_key > cohort.base_month_key
        and panel.month_key <= cohort.base_month_key + 100
    group by cohort.person_key, cohort.base_month_key
),

-- One row per person, cohort and outcome: in the denominator or not, the event or not.
-- Level change counts the continuously certified (all 12 follow-up months certified, alive
-- at the end); death counts everyone certified in the cohort month.
outcomes as (
    select
        cohort.insurer_number,
        cohort.base_month_key,
        cohort.sex_code,
        cohort.age_band,
        outcome.outcome_code,
        case
            when outcome.outcome_code = 'died' then 1
            when coalesce(follow_up.n_certified_months, 0) = 12 and coalesce(follow_up.died, 0) = 0 then 1
            else 0
        end as is_counted,
        case outcome.outcome_code
            when 'died' then coalesce(follow_up.died, 0)
            when 'improved' then case when follow_up.end_ordinal < cohort.base_ordinal then 1 else 0 end
            when 'maintained' then case when follow_up.end_ordinal = cohort.base_ordinal then 1 else 0 end
            else case when follow_up.end_ordinal > cohort.base_ordinal then 1 else 0 end
        end as is_event
    from cohort
    left join follow_up
        on follow_up.person_key = cohort.person_key and follow_up.base_month_key = cohort.base_month_key
    cross join (
        select 'improved' as outcome_code
        union all select 'maintained'
        union all select 'worsened'
        union all select 'died'
    ) as outcome
),

counted as (
    select insurer_number, base_month_key, sex_code, age_band, outcome_code, is_event
    from outcomes
    where is_counted = 1
),

-- The standard population: every insurer's counted persons of the same cohort and outcome.
standard as (
    select
        base_month_key,
        outcome_code,
        sex_code,
        age_band,
        count(*) as n_standard
    from counted
    group by base_month_key, outcome_code, sex_code, age_band
),

national as (
    select
        base_month_key,
        outcome_code,
        count(*) as n_national,
        1.0 * sum(is_event) / count(*) as national_rate
    from counted
    group by base_month_key, outcome_code
),

strata as (
    select
        insurer_number,
        base_month_key,
        outcome_code,
        sex_code,
        age_band,
        count(*) as n_persons,
        sum(is_event) as n_events
    from counted
    group by insurer_number, base_month_key, outcome_code, sex_code, age_band
),

-- Direct standardization over the strata the insurer has: weights are the standard
-- population's shares, renormalized over those strata.
weighted as (
    select
        strata.insurer_number,
        strata.base_month_key,
        strata.outcome_code,
        strata.n_persons,
        strata.n_events,
        1.0 * standard.n_standard
        / sum(standard.n_standard) over (
            partition by strata.insurer_number, strata.base_month_key, strata.outcome_code
        ) as weight,
        1.0 * strata.n_events / strata.n_persons as stratum_rate
    from strata
    inner join standard
        on standard.base_month_key = strata.base_month_key
        and standard.outcome_code = strata.outcome_code
        and standard.sex_code = strata.sex_code
        and standard.age_band = strata.age_band
),

insurer_rates as (
    select
        insurer_number,
        base_month_key,
        outcome_code,
        sum(n_persons) as n_persons,
        sum(n_events) as n_events,
        sum(weight * stratum_rate) as standardized_rate,
        sum(weight * weight * stratum_rate * (1 - stratum_rate) / n_persons) as standardized_variance
    from weighted
    group by insurer_number, base_month_key, outcome_code
),

limits as (
    select
        insurer_rates.insurer_number,
        insurer_rates.base_month_key,
        insurer_rates.outcome_code,
        insurer_rates.n_persons,
        insurer_rates.n_events,
        1.0 * insurer_rates.n_events / insurer_rates.n_persons as crude_rate,
        insurer_rates.standardized_rate,
        greatest(0.0, insurer_rates.standardized_rate - 1.96 * sqrt(insurer_rates.standardized_variance))
            as standardized_rate_lower_95,
        least(1.0, insurer_rates.standardized_rate + 1.96 * sqrt(insurer_rates.standardized_variance))
            as standardized_rate_upper_95,
        national.national_rate,
        greatest(0.0, national.national_rate
            - 1.96 * sqrt(national.national_rate * (1 - national.national_rate) / insurer_rates.n_persons))
            as funnel_lower_95,
        least(1.0, national.national_rate
            + 1.96 * sqrt(national.national_rate * (1 - national.national_rate) / insurer_rates.n_persons))
            as funnel_upper_95,
        greatest(0.0, national.national_rate
            - 3.09 * sqrt(national.national_rate * (1 - national.national_rate) / insurer_rates.n_persons))
            as funnel_lower_998,
        least(1.0, national.national_rate
            + 3.09 * sqrt(national.national_rate * (1 - national.national_rate) / insurer_rates.n_persons))
            as funnel_upper_998
    from insurer_rates
    inner join national
        on national.base_month_key = insurer_rates.base_month_key
        and national.outcome_code = insurer_rates.outcome_code
),

final as (
    select
        limits.*,
        case
            when standardized_rate > funnel_upper_998 then 'above_998'
            when standardized_rate > funnel_upper_95 then 'above_95'
            when standardized_rate < funnel_lower_998 then 'below_998'
            when standardized_rate < funnel_lower_95 then 'below_95'
            else 'within'
        end as funnel_position
    from limits
)

select * from final
order by base_month_key, insurer_number, outcome_code
