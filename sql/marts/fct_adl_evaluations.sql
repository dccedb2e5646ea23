-- fct_adl_evaluations: one ADL維持等加算 evaluation per person, provider and fiscal year — the
-- Barthel Index at the start month and six months later, and the ADL利得 the add-on's rules give
-- (domain.md §5.1; sidecar: fct_adl_evaluations.toml).
-- The latest assessment of each person at each provider in each month.
with assessments as (
    select
        person_key,
        provider_number,
        insurer_number,
        care_level_code,
        barthel_total,
        month_key,
        cast((month_key - month_key % 100) / 100 as bigint) * 12 + month_key % 100 as month_index,
        cast((month_key - month_key % 100) / 100 as bigint) - case when month_key % 100 < 4 then 1 else 0 end
            as fiscal_year
    from stg_life_assessments
    qualify row_number() over (
        partition by person_key, provider_number, month_key
        order by evaluated_on desc, delivery_month desc, source_file_id desc, source_line desc
    ) = 1
),

-- Providers of the service kinds the add-on applies to: 通所介護 15, 特定施設 33, 地域密着型特定施設
-- 36, 介護老人福祉施設 51, 地域密着型介護老人福祉施設 54, 認知症対応型通所介護 72, 地域密着型通所介護 78.
eligible_providers as (
    select distinct provider_number
    from providers
    where ';' || service_kind_codes || ';' like '%;15;%'
        or ';' || service_kind_codes || ';' like '%;33;%'
        or ';' || service_kind_codes || ';' like '%;36;%'
        or ';' || service_kind_codes || ';' like '%;51;%'
        or ';' || service_kind_codes || ';' like '%;54;%'
        or ';' || service_kind_codes || ';' like '%;72;%'
        or ';' || service_kind_codes || ';' like '%;78;%'
),

-- The evaluation start month: the user's first assessment at the provider in the fiscal year.
starts as (
    select person_key, provider_number, fiscal_year, min(month_index) as start_month_index
    from assessments
    group by person_key, provider_number, fiscal_year
),

evaluations as (
    select
        starts.person_key,
        starts.provider_number,
        starts.fiscal_year,
        start_assessment.month_key as start_month_key,
        start_assessment.insurer_number,
        start_assessment.care_level_code as start_care_level_code,
        start_assessment.barthel_total as start_barthel_total,
        month_6_assessment.barthel_total as month_6_barthel_total,
        start_assessment.month_index as start_month_index
    from starts
    inner join eligible_providers on eligible_providers.provider_number = starts.provider_number
    inner join assessments as start_assessment
        on start_assessment.person_key = starts.person_key
        and start_assessment.provider_number = starts.provider_number
        and start_assessment.month_index = starts.start_month_index
    left join assessments as month_6_assessment
        on month_6_assessment.person_key = starts.person_key
        and month_6_assessment.provider_number = starts.provider_number
        and month_6_assessment.month_index = starts.start_month_index + 6
    -- 要介護 users whose use in the fiscal year can exceed six months: a start in April–September.
    where start_assessment.care_level_code in ('21', '22', '23', '24', '25')
        and start_assessment.month_key % 100 between 4 and 9
),

adjusted as (
    select
        evaluations.*,
        persons.sex_code,
        age_band(age_at_month(persons.birth_year_month, evaluations.start_month_key)) as age_band,
        coalesce(
            evaluations.start_month_index
            - (cast((persons.new_certification_month_key - persons.new_certification_month_key % 100) / 100 as bigint) * 12
                + persons.new_certification_month_key % 100) <= 12,
            false
        ) as is_within_12_months_of_first_certification
    from evaluations
    inner join dim_persons as persons on persons.person_key = evaluations.person_key
),

-- The adjustment by start Barthel (0–25 and 30–50 share a value), lower in the 12 months after the
-- first certification, when recovery is expected anyway.
final as (
    select
        person_key,
        provider_number,
        cast(fiscal_year as int) as fiscal_year,
        start_month_key,
        insurer_number,
        sex_code,
        age_band,
        start_care_level_code,
        cast(start_barthel_total as int) as start_barthel_total,
        cast(month_6_barthel_total as int) as month_6_barthel_total,
        is_within_12_months_of_first_certification,
        cast(adjustment as int) as adjustment,
        cast(month_6_barthel_total - start_barthel_total + adjustment as int) as adl_gain
    from (
        select
            adjusted.*,
            case
                when start_barthel_total <= 50 then 1
                when start_barthel_total <= 75 then 2
                else 3
            end - case when is_within_12_months_of_first_certification then 1 else 0 end as adjustment
        from adjusted
    ) as with_adjustment
)

select * from final
order by fiscal_year, provider_number, person_key
