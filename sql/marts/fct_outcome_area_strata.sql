-- fct_outcome_area_strata: fct_outcome_strata rolled up from insurers to every area an insurer
-- counts in — the insurer itself, its prefecture (the insurer number's first two digits) and the
-- nation — with the sums of squares recomputed about each area stratum's own ratio (sidecar:
-- fct_outcome_area_strata.toml). outcomes_by_area reads only this mart: the roll-up is done once,
-- by `kaigo build`, not each time the outcomes are queried, and so is the national standard.
with insurer_strata as (
    select *, numerator / denominator as insurer_ratio
    from fct_outcome_strata
),

located as (
    select 'insurer' as area_level, insurer_number as area_code, * from insurer_strata
    union all
    select 'prefecture', substr(insurer_number, 1, 2), * from insurer_strata
    union all
    select 'national', '00', * from insurer_strata
),

-- Each part (an insurer's stratum) with the pooled ratio R of its area stratum, by a window, so
-- the parts are located once.
with_ratio as (
    select
        *,
        sum(numerator) over (partition by area_level, area_code, period_key, measure_code, sex_code, age_band)
        / sum(denominator) over (partition by area_level, area_code, period_key, measure_code, sex_code, age_band)
            as stratum_ratio
    from located
),

-- About R, from the parts' sums about their own ratios r_i (see fct_outcome_strata.toml):
-- Σ (y − R d)² = Σ_i S_i + 2 (r_i − R) C_i + (r_i − R)² D_i and Σ d (y − R d) = Σ_i C_i + (r_i − R) D_i.
rolled_up as (
    select
        area_level,
        area_code,
        period_key,
        measure_code,
        sex_code,
        age_band,
        sum(n_observations) as n_observations,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(denominator_squares) as denominator_squares,
        sum(
            residual_squares
            + 2 * (insurer_ratio - stratum_ratio) * residual_cross
            + power(insurer_ratio - stratum_ratio, 2) * denominator_squares
        ) as residual_squares,
        sum(residual_cross + (insurer_ratio - stratum_ratio) * denominator_squares) as residual_cross
    from with_ratio
    group by area_level, area_code, period_key, measure_code, sex_code, age_band
),

-- What outcomes_by_area standardizes to and sets funnel limits about, on every area stratum, so
-- that the model reads this mart once instead of joining its national rows back to it three
-- times (126 against 90 ms in DataFusion at 500,000 persons): the standard population (the
-- national stratum's denominator), the national ratio R of the period and measure, and its
-- residual variance per unit of denominator, Σ (y − R d)² / Σ d, from the national strata's
-- sums about their own ratios r_s: Σ_s S_s + 2 (r_s − R) C_s + (r_s − R)² D_s.
with_standard as (
    select
        *,
        sum(case when area_level = 'national' then denominator end)
            over (partition by period_key, measure_code, sex_code, age_band) as standard_denominator,
        sum(case when area_level = 'national' then numerator end) over (partition by period_key, measure_code)
        / sum(case when area_level = 'national' then denominator end) over (partition by period_key, measure_code)
            as national_value
    from rolled_up
),

with_spread as (
    select
        *,
        sum(
            case when area_level = 'national' then
                residual_squares
                + 2 * (numerator / denominator - national_value) * residual_cross
                + power(numerator / denominator - national_value, 2) * denominator_squares
            end
        ) over (partition by period_key, measure_code)
        / sum(case when area_level = 'national' then denominator end) over (partition by period_key, measure_code)
            as national_residual_variance
    from with_standard
)

select * from with_spread
order by area_level, area_code, period_key, measure_code, sex_code, age_band
