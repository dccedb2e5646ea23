-- rollout_counts_by_insurer_month: the person and provider counts the public release is made of,
-- per insurer and registry month, before disclosure control (sidecar:
-- rollout_counts_by_insurer_month.toml). Every count is additive over insurers and months.
with registry as (
    select
        insurer_number,
        cast(as_of_month as int) as month_key,
        prefecture_code,
        population_65_plus + population_40_64 as insured_population
    from insurers
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
        sum(case when died_in_month then 1 else 0 end) as n_deaths
    from fct_person_months
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
    coalesce(onboarding.n_provider_reported_users, 0) as n_provider_reported_users,
    coalesce(onboarding.n_users_with_consent, 0) as n_users_with_consent,
    coalesce(onboarding.n_providers, 0) as n_providers,
    coalesce(onboarding.n_client_certificate, 0) as n_providers_client_certificate
from registry
left join person_counts
    on registry.insurer_number = person_counts.insurer_number
    and registry.month_key = person_counts.month_key
left join new_certifications
    on registry.insurer_number = new_certifications.insurer_number
    and registry.month_key = new_certifications.month_key
left join onboarding
    on registry.insurer_number = onboarding.insurer_number
    and registry.month_key = onboarding.month_key
