-- fct_outcome_cohorts: everyone certified in an April cohort month, with what happened to them in
-- the 12 months after it (sidecar: fct_outcome_cohorts.toml). Months are YYYYMM integers, so the
-- same month a year later is month_key + 100 and a month's index is year * 12 + month.
with panel as (
    select
        person_key,
        month_key,
        insurer_number,
        care_level_code,
        is_facility,
        in_home_units + community_units + care_management_units + preventive_units as home_care_units,
        died_in_month,
        cast((month_key - month_key % 100) / 100 as bigint) * 12 + month_key % 100 as month_index
    from fct_person_months
),

persons as (
    select person_key, sex_code, birth_year_month
    from dim_persons
),

-- April months whose whole follow-up year the panel covers.
cohort_months as (
    select distinct month_key as base_month_key, month_index as base_month_index
    from panel
    where month_key % 100 = 4
        and month_key + 100 <= (select max(month_key) from panel)
),

cohort as (
    select
        panel.person_key,
        cohort_months.base_month_key,
        cohort_months.base_month_index,
        panel.insurer_number,
        persons.sex_code,
        age_band(age_at_month(persons.birth_year_month, cohort_months.base_month_key)) as age_band,
        panel.care_level_code as base_care_level_code,
        not panel.is_facility and panel.home_care_units > 0 as is_in_home_user
    from panel
    inner join cohort_months on cohort_months.base_month_key = panel.month_key
    inner join persons on persons.person_key = panel.person_key
    where panel.care_level_code in ('12', '13', '21', '22', '23', '24', '25')
),

follow_up as (
    select
        cohort.person_key,
        cohort.base_month_key,
        sum(case when panel.care_level_code in ('12', '13', '21', '22', '23', '24', '25') then 1 else 0 end)
            as n_certified_months,
        max(case when panel.month_key = cohort.base_month_key + 100 then panel.care_level_code end)
            as end_care_level_code,
        min(case when panel.died_in_month then panel.month_key end) as died_month_key,
        min(case when panel.died_in_month then panel.month_index - cohort.base_month_index end) as died_after_months,
        min(case when panel.is_facility then panel.month_key end) as first_facility_month_key,
        sum(case when panel.is_facility then 1 else 0 end) as n_facility_months
    from cohort
    inner join panel
        on panel.person_key = cohort.person_key
        and panel.month_key > cohort.base_month_key
        and panel.month_key <= cohort.base_month_key + 100
    group by cohort.person_key, cohort.base_month_key
),

final as (
    select
        cohort.person_key,
        cohort.base_month_key,
        cohort.insurer_number,
        cohort.sex_code,
        cohort.age_band,
        cohort.base_care_level_code,
        cohort.is_in_home_user,
        cast(coalesce(follow_up.n_certified_months, 0) as bigint) as n_certified_months,
        coalesce(follow_up.n_certified_months, 0) = 12 and follow_up.died_month_key is null
            as is_continuously_certified,
        follow_up.end_care_level_code,
        follow_up.died_month_key,
        follow_up.first_facility_month_key,
        cast(coalesce(follow_up.died_after_months, 12) as bigint) as n_months_alive,
        cast(coalesce(follow_up.n_facility_months, 0) as bigint) as n_facility_months
    from cohort
    left join follow_up
        on follow_up.person_key = cohort.person_key and follow_up.base_month_key = cohort.base_month_key
)

select * from final
order by base_month_key, person_key
