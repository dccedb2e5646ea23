-- outcomes_by_area: every outcome measure per insurer, prefecture and the nation, crude and directly
-- age–sex standardized, with 95 % confidence intervals and funnel-plot control limits
-- (sidecar: outcomes_by_area.toml). Each measure is a ratio Σ numerator / Σ denominator over
-- observations — a proportion (denominator 1, numerator 0 or 1), a mean (denominator 1) or a rate
-- per person-year — so one standardization serves them all. The observations arrive summed per
-- area × sex × age band (fct_outcome_area_strata, rolled up from fct_outcome_strata).
with strata as (
    select
        area_level,
        area_code,
        period_key,
        measure_code,
        sex_code,
        age_band,
        n_observations,
        numerator,
        denominator,
        denominator_squares,
        residual_squares,
        residual_cross,
        numerator / denominator as stratum_value,
        -- A stratum's variance by linearization: Σ (y − r d)² / (Σ d)², which is r (1 − r) / n for
        -- a proportion.
        residual_squares / power(denominator, 2) as stratum_variance
    from fct_outcome_area_strata
),

-- What each measure is and the range its values and limits are clipped to.
measures as (
    select * from (values
        ('care_level_improved', 'proportion', 0.0, 1.0),
        ('care_level_maintained', 'proportion', 0.0, 1.0),
        ('care_level_worsened', 'proportion', 0.0, 1.0),
        ('died', 'proportion', 0.0, 1.0),
        ('facility_admission', 'proportion', 0.0, 1.0),
        ('home_days_per_person_year', 'rate', 0.0, 365.0),
        ('units_per_user_month', 'mean', 0.0, null),
        ('cost_yen_per_user_month', 'mean', 0.0, null),
        ('adl_gain', 'mean', null, null)
    ) as measure_list(measure_code, measure_kind, lower_bound, upper_bound)
),

-- The standard population: the nation's observations of the same period and measure, in units
-- of the denominator (persons, person-years, user-months), so that the nation standardized to
-- itself gives its crude value.
standard as (
    select period_key, measure_code, sex_code, age_band, denominator as standard_denominator
    from strata
    where area_level = 'national'
),

national as (
    select
        period_key,
        measure_code,
        sum(numerator) / sum(denominator) as national_value,
        sum(denominator) as national_denominator
    from strata
    where area_level = 'national'
    group by period_key, measure_code
),

-- The funnel's spread: the nation's residual variance per unit of denominator,
-- Σ (y − R d)² / Σ d, which is p (1 − p) for a proportion. The sum of squares about the
-- national ratio R comes from the national strata's sums about their own ratios r_s:
-- Σ_s S_s + 2 (r_s − R) C_s + (r_s − R)² D_s (see fct_outcome_strata.toml). Exact, and free of the
-- cancellation of Σ y² − (Σ y)² / n.
national_spread as (
    select
        national.period_key,
        national.measure_code,
        national.national_value,
        sum(
            strata.residual_squares
            + 2 * (strata.stratum_value - national.national_value) * strata.residual_cross
            + power(strata.stratum_value - national.national_value, 2) * strata.denominator_squares
        ) / max(national.national_denominator) as residual_variance
    from strata
    inner join national
        on national.period_key = strata.period_key and national.measure_code = strata.measure_code
    where strata.area_level = 'national'
    group by national.period_key, national.measure_code, national.national_value
),

-- Direct standardization over the strata the area has, with weights w_s = D_s / Σ D, the standard
-- population's shares renormalized over those strata: Σ w_s R_s = Σ D_s R_s / Σ D_s and
-- Σ w_s² V_s = Σ D_s² V_s / (Σ D_s)², so the weights need no pass of their own.
area_values as (
    select
        strata.area_level,
        strata.area_code,
        strata.period_key,
        strata.measure_code,
        sum(strata.n_observations) as n_observations,
        sum(strata.numerator) as numerator,
        sum(strata.denominator) as denominator,
        sum(standard.standard_denominator * strata.stratum_value) / sum(standard.standard_denominator)
            as standardized_value,
        sqrt(sum(power(standard.standard_denominator, 2) * strata.stratum_variance))
        / sum(standard.standard_denominator) as standardized_standard_error
    from strata
    inner join standard
        on standard.period_key = strata.period_key
        and standard.measure_code = strata.measure_code
        and standard.sex_code = strata.sex_code
        and standard.age_band = strata.age_band
    group by strata.area_level, strata.area_code, strata.period_key, strata.measure_code
),

unclipped as (
    select
        area_values.area_level,
        area_values.area_code,
        area_values.period_key,
        area_values.measure_code,
        measures.measure_kind,
        measures.lower_bound,
        measures.upper_bound,
        area_values.n_observations,
        area_values.numerator,
        area_values.denominator,
        area_values.numerator / area_values.denominator as crude_value,
        area_values.standardized_value,
        area_values.standardized_value - 1.96 * area_values.standardized_standard_error as standardized_lower_95,
        area_values.standardized_value + 1.96 * area_values.standardized_standard_error as standardized_upper_95,
        national_spread.national_value,
        sqrt(national_spread.residual_variance / area_values.denominator) as funnel_standard_error
    from area_values
    inner join measures on measures.measure_code = area_values.measure_code
    inner join national_spread
        on national_spread.period_key = area_values.period_key
        and national_spread.measure_code = area_values.measure_code
),

limits as (
    select
        area_level,
        area_code,
        period_key,
        measure_code,
        measure_kind,
        n_observations,
        numerator,
        denominator,
        crude_value,
        standardized_value,
        case when lower_bound is null then standardized_lower_95 else greatest(lower_bound, standardized_lower_95) end
            as standardized_lower_95,
        case when upper_bound is null then standardized_upper_95 else least(upper_bound, standardized_upper_95) end
            as standardized_upper_95,
        national_value,
        case when lower_bound is null then national_value - 1.96 * funnel_standard_error
            else greatest(lower_bound, national_value - 1.96 * funnel_standard_error) end as funnel_lower_95,
        case when upper_bound is null then national_value + 1.96 * funnel_standard_error
            else least(upper_bound, national_value + 1.96 * funnel_standard_error) end as funnel_upper_95,
        case when lower_bound is null then national_value - 3.09 * funnel_standard_error
            else greatest(lower_bound, national_value - 3.09 * funnel_standard_error) end as funnel_lower_998,
        case when upper_bound is null then national_value + 3.09 * funnel_standard_error
            else least(upper_bound, national_value + 3.09 * funnel_standard_error) end as funnel_upper_998
    from unclipped
),

-- A value on a limit is within it: the tolerance keeps floating-point noise in the last digit (a
-- rate of exactly 365 days against a limit clipped to 365) from deciding the position.
final as (
    select
        limits.*,
        case
            when standardized_value > funnel_upper_998 + 1e-9 * greatest(1.0, abs(funnel_upper_998)) then 'above_998'
            when standardized_value > funnel_upper_95 + 1e-9 * greatest(1.0, abs(funnel_upper_95)) then 'above_95'
            when standardized_value < funnel_lower_998 - 1e-9 * greatest(1.0, abs(funnel_lower_998)) then 'below_998'
            when standardized_value < funnel_lower_95 - 1e-9 * greatest(1.0, abs(funnel_lower_95)) then 'below_95'
            else 'within'
        end as funnel_position
    from limits
)

select * from final
order by area_level, area_code, period_key, measure_code
