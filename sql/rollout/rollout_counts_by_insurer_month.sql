-- rollout_counts_by_insurer_month: the person and provider counts the public release is made of,
-- per insurer and registry month, before disclosure control (sidecar:
-- rollout_counts_by_insurer_month.toml). Every count is additive over insurers and months.
with registry as (
    select
        insurer_number,
        cast(as_of_month as int) as month_key,
        prefecture_code,
        population_65_plus + population_40_64 as insured_population,
        cast((cast(as_of_month as int) - cast(as_of_month as int) % 100) / 100 as bigint) * 12
            + cast(as_of_month as int) % 100 as month_index
    from insurers
),

-- Each person-month with what follows it: the months are YYYYMM integers, so a month's index is
-- year * 12 + month, and "within a year" is 1–12 months after it. A death ends the panel; a
-- facility admission is the next month with a facility claim.
followed as (
    select
        insurer_number,
        month_key,
        care_level_code,
        n_statements,
        is_facility,
        died_in_month,
        month_index,
        min(case when died_in_month then month_index end) over (partition by person_key) as death_month_index,
        min(case when is_facility then month_index end) over (
            partition by person_key order by month_index rows between 1 following and unbounded following
        ) as next_facility_month_index
    from (
        select
            *,
            cast((month_key - month_key % 100) / 100 as bigint) * 12 + month_key % 100 as month_index
        from fct_person_months
    ) as indexed
),

-- The last month whose year of follow-up the panel covers: later months' outcome counts are null.
complete_follow_up as (
    select
        cast((max(month_key) - max(month_key) % 100) / 100 as bigint) * 12 + max(month_key) % 100 - 12
            as last_month_index
    from fct_person_months
),

person_counts as (
    select
        insurer_number,
        month_key,
        sum(case when care_level_code is not null then 1 else 0 end) as n_certified,
        sum(case when care_level_code in ('23', '24', '25') then 1 else 0 end) as n_certified_level_3_plus,
        sum(case when n_statements > 0 then 1 else 0 end) as n_users,
        sum(case when n_statements > 0 and not is_facility then 1 else 0 end) as n_in_home_users,
        sum(case when is_facility then 1 else 0 end) as n_facility_users,
        sum(case when died_in_month then 1 else 0 end) as n_deaths,
        sum(case when care_level_code is not null and death_month_index - month_index between 1 and 12
            then 1 else 0 end) as n_certified_died_within_year,
        sum(case when care_level_code is not null and not is_facility
                and next_facility_month_index - month_index between 1 and 12
            then 1 else 0 end) as n_certified_admitted_within_year
    from followed
    group by insurer_number, month_key
),

new_certifications as (
    select months.insurer_number, months.month_key, count(*) as n_new_certifications
    from dim_persons as persons
    inner join fct_person_months as months
        on persons.person_key = months.person_key
        and persons.new_certification_month_key = months.month_key
    group by months.insurer_number, months.month_key
),

onboarding as (
    select insurer_number, month_key, n_providers, n_client_certificate, n_users as n_provider_reported_users,
        n_users_with_consent
    from rollout_onboarding_by_insurer_month
)

select
    registry.insurer_number,
    registry.month_key,
    registry.prefecture_code,
    registry.insured_population,
    coalesce(person_counts.n_certified, 0) as n_certified,
    coalesce(person_counts.n_certified_level_3_plus, 0) as n_certified_level_3_plus,
    coalesce(new_certifications.n_new_certifications, 0) as n_new_certifications,
    coalesce(person_counts.n_users, 0) as n_users,
    coalesce(person_counts.n_in_home_users, 0) as n_in_home_users,
    coalesce(person_counts.n_facility_users, 0) as n_facility_users,
    coalesce(person_counts.n_deaths, 0) as n_deaths,
    case when registry.month_index <= complete_follow_up.last_month_index
        then coalesce(person_counts.n_certified_died_within_year, 0) end as n_certified_died_within_year,
    case when registry.month_index <= complete_follow_up.last_month_index
        then coalesce(person_counts.n_certified_admitted_within_year, 0) end as n_certified_admitted_within_year,
    coalesce(onboarding.n_provider_reported_users, 0) as n_provider_reported_users,
    coalesce(onboarding.n_users_with_consent, 0) as n_users_with_consent,
    coalesce(onboarding.n_providers, 0) as n_providers,
    coalesce(onboarding.n_client_certificate, 0) as n_providers_client_certificate
from registry
cross join complete_follow_up
left join person_counts
    on registry.insurer_number = person_counts.insurer_number
    and registry.month_key = person_counts.month_key
left join new_certifications
    on registry.insurer_number = new_certifications.insurer_number
    and registry.month_key = new_certifications.month_key
left join onboarding
    on registry.insurer_number = onboarding.insurer_number
    and registry.month_key = onboarding.month_key
