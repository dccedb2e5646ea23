-- fct_outcome_strata: the observations of every outcome measure summed per insurer, period, sex and
-- age band, with the sums of squares a variance needs (sidecar: fct_outcome_strata.toml). The
-- measures are defined in outcomes_by_area.toml; this pre-aggregated mart lets outcomes_by_area
-- roll insurers up to prefectures and the nation without reading the person-level rows again.
with cohorts as (
    select
        base_month_key,
        insurer_number,
        sex_code,
        age_band,
        base_care_level_code,
        is_in_home_user,
        is_continuously_certified,
        end_care_level_code,
        died_month_key,
        first_facility_month_key,
        n_months_alive,
        n_facility_months
    from fct_outcome_cohorts
),

user_months as (
    select
        panel.person_key,
        panel.insurer_number,
        panel.insurance_units,
        panel.cost_yen,
        cast((panel.month_key - panel.month_key % 100) / 100 as bigint)
        - case when panel.month_key % 100 < 4 then 1 else 0 end as fiscal_year,
        persons.sex_code,
        persons.birth_year_month
    from fct_person_months as panel
    inner join dim_persons as persons on persons.person_key = panel.person_key
    where panel.n_statements > 0
),

-- Units and cost: one observation per person, insurer and fiscal year; the age band is that of
-- the fiscal year's April.
user_years as (
    select
        cast(fiscal_year * 100 + 4 as int) as period_key,
        insurer_number,
        sex_code,
        age_band(age_at_month(birth_year_month, cast(fiscal_year * 100 + 4 as int))) as age_band,
        cast(sum(insurance_units) as double) as insurance_units,
        cast(sum(cost_yen) as double) as cost_yen,
        cast(count(*) as double) as n_user_months
    from user_months
    group by person_key, insurer_number, fiscal_year, sex_code, birth_year_month
),

observations as (
    select
        'care_level_improved' as measure_code,
        base_month_key as period_key,
        insurer_number,
        sex_code,
        age_band,
        cast(case when care_level_ordinal(end_care_level_code) < care_level_ordinal(base_care_level_code) then 1 else 0 end
            as double) as numerator,
        cast(1 as double) as denominator
    from cohorts
    where is_continuously_certified
    union all
    select
        'care_level_maintained', base_month_key, insurer_number, sex_code, age_band,
        case when care_level_ordinal(end_care_level_code) = care_level_ordinal(base_care_level_code) then 1.0 else 0.0 end,
        1.0
    from cohorts
    where is_continuously_certified
    union all
    select
        'care_level_worsened', base_month_key, insurer_number, sex_code, age_band,
        case when care_level_ordinal(end_care_level_code) > care_level_ordinal(base_care_level_code) then 1.0 else 0.0 end,
        1.0
    from cohorts
    where is_continuously_certified
    union all
    select
        'died', base_month_key, insurer_number, sex_code, age_band,
        case when died_month_key is not null then 1.0 else 0.0 end,
        1.0
    from cohorts
    union all
    select
        'facility_admission', base_month_key, insurer_number, sex_code, age_band,
        case when first_facility_month_key is not null then 1.0 else 0.0 end,
        1.0
    from cohorts
    where is_in_home_user
    union all
    -- A month counts 365 / 12 days.
    select
        'home_days_per_person_year', base_month_key, insurer_number, sex_code, age_band,
        cast(n_months_alive - n_facility_months as double) * 365 / 12,
        cast(n_months_alive as double) / 12
    from cohorts
    union all
    select 'units_per_user_month', period_key, insurer_number, sex_code, age_band, insurance_units, n_user_months
    from user_years
    union all
    select 'cost_yen_per_user_month', period_key, insurer_number, sex_code, age_band, cost_yen, n_user_months
    from user_years
    union all
    select
        'adl_gain', cast(fiscal_year * 100 + 4 as int), insurer_number, sex_code, age_band,
        cast(adl_gain as double),
        1.0
    from fct_adl_evaluations
    where adl_gain is not null
),

-- Each observation with its insurer-stratum's ratio, by a window rather than a join back, so the
-- observations are computed once.
with_ratio as (
    select
        *,
        sum(numerator) over (partition by measure_code, period_key, insurer_number, sex_code, age_band)
        / sum(denominator) over (partition by measure_code, period_key, insurer_number, sex_code, age_band)
            as stratum_ratio
    from observations
),

final as (
    select
        measure_code,
        period_key,
        insurer_number,
        sex_code,
        age_band,
        count(*) as n_observations,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(denominator * denominator) as denominator_squares,
        sum(power(numerator - stratum_ratio * denominator, 2)) as residual_squares,
        sum(denominator * (numerator - stratum_ratio * denominator)) as residual_cross
    from with_ratio
    group by measure_code, period_key, insurer_number, sex_code, age_band
)

select * from final
order by measure_code, period_key, insurer_number, sex_code, age_band
