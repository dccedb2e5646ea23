-- outcomes_by_area: every outcome measure per insurer, prefecture and the nation, crude and directly
-- age–sex standardized, with 95 % confidence intervals and funnel-plot control limits
-- (sidecar: outcomes_by_area.toml). Each measure is a ratio Σ numerator / Σ denominator over
-- observations — a proportion (denominator 1, numerator 0 or 1), a mean (denominator 1) or a rate
-- per person-year — so one standardization serves them all. The observations arrive summed per
-- area × sex × age band (fct_outcome_area_strata, rolled up from fct_outcome_strata), each with
-- the national standard and spread it is compared with.
with strata as (
    select
        area_level,
        area_code,
        period_key,
        measure_code,
        n_observations,
        numerator,
        denominator,
        standard_denominator,
        national_value,
        national_residual_variance,
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

-- Direct standardization over the strata the area has, to the standard population — the nation's
-- observations of the same period and measure, in units of the denominator (persons,
-- person-years, user-months), D_s per stratum, so that the nation standardized to itself gives
-- its crude value. The weights w_s = D_s / Σ D are the standard's shares renormalized over the
-- area's strata: Σ w_s R_s = Σ D_s R_s / Σ D_s and Σ w_s² V_s = Σ D_s² V_s / (Σ D_s)², so the
-- weights need no pass of their own. The national ratio and residual variance (the funnel's
-- spread) are the same on every stratum of a period and measure.
area_values as (
    select
        area_level,
        area_code,
        period_key,
        measure_code,
        sum(n_observations) as n_observations,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(standard_denominator * stratum_value) / sum(standard_denominator) as standardized_value,
        sqrt(sum(power(standard_denominator, 2) * stratum_variance)) / sum(standard_denominator)
            as standardized_standard_error,
        max(national_value) as national_value,
        max(national_residual_variance) as residual_variance
    from strata
    group by area_level, area_code, period_key, measure_code
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
        area_values.national_value,
        sqrt(area_values.residual_variance / area_values.denominator) as funnel_standard_error
    from area_values
    inner join measures on measures.measure_code = area_values.measure_code
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
