-- rollout_counts_by_insurer_month: the person and provider counts the public release is made of,
-- per insurer and registry month, before disclosure control (sidecar:
-- rollout_counts_by_insurer_month.toml). Every count is additive over insurers and months.
with registry as (
    select insurer_number, month_key, prefecture_code, population_65_plus + population_40_64 as insured_population,
        month_index
    from dim_insurer_months
),

-- The panel's last month: person counts are known up to it, and outcome counts up to twelve
-- months before it. A registry month after it (a delivery's registry is of its own month, its
-- claims of the month before) has null person counts also where the panel has no row.
panel_end as (
    select
        cast((max(month_key) - max(month_key) % 100) / 100 * 12 + max(month_key) % 100 - 1 as int)
            as last_month_index
    from fct_insurer_panel_months
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
    case when registry.month_index <= panel_end.last_month_index
        then coalesce(person_counts.n_certified, 0) end as n_certified,
    case when registry.month_index <= panel_end.last_month_index
        then coalesce(person_counts.n_certified_level_3_plus, 0) end as n_certified_level_3_plus,
    case when registry.month_index <= panel_end.last_month_index
        then coalesce(person_counts.n_new_certifications, 0) end as n_new_certifications,
    case when registry.month_index <= panel_end.last_month_index
        then coalesce(person_counts.n_users, 0) end as n_users,
    case when registry.month_index <= panel_end.last_month_index
        then coalesce(person_counts.n_in_home_users, 0) end as n_in_home_users,
    case when registry.month_index <= panel_end.last_month_index
        then coalesce(person_counts.n_facility_users, 0) end as n_facility_users,
    case when registry.month_index <= panel_end.last_month_index
        then coalesce(person_counts.n_deaths, 0) end as n_deaths,
    case when registry.month_index <= panel_end.last_month_index - 12
        then coalesce(person_counts.n_certified_died_within_year, 0) end as n_certified_died_within_year,
    case when registry.month_index <= panel_end.last_month_index - 12
        then coalesce(person_counts.n_certified_admitted_within_year, 0) end as n_certified_admitted_within_year,
    coalesce(onboarding.n_provider_reported_users, 0) as n_provider_reported_users,
    coalesce(onboarding.n_users_with_consent, 0) as n_users_with_consent,
    coalesce(onboarding.n_providers, 0) as n_providers,
    coalesce(onboarding.n_client_certificate, 0) as n_providers_client_certificate
from registry
cross join panel_end
left join fct_insurer_panel_months as person_counts
    on registry.insurer_number = person_counts.insurer_number
    and registry.month_key = person_counts.month_key
left join onboarding
    on registry.insurer_number = onboarding.insurer_number
    and registry.month_key = onboarding.month_key
