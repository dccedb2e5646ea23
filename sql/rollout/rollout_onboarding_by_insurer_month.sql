-- rollout_onboarding_by_insurer_month: providers', users' and physicians' take-up of the hub per
-- insurer and registry month (sidecar: rollout_onboarding_by_insurer_month.toml).
with registry_months as (
    select insurer_number, prefecture_code, month_key, previous_month_key
    from dim_insurer_months
),

-- A registry month takes the providers of its own delivery, and the activity and opinions of the
-- previous month (fct_insurer_onboarding_months keeps each count in its own month).
onboarding as (
    select * from fct_insurer_onboarding_months
),

final as (
    select
        registry_months.insurer_number,
        registry_months.month_key,
        registry_months.prefecture_code,
        coalesce(providers.n_providers, 0) as n_providers,
        coalesce(providers.n_portal_registered, 0) as n_portal_registered,
        coalesce(providers.n_client_certificate, 0) as n_client_certificate,
        percent(providers.n_client_certificate, providers.n_providers) as client_certificate_pct,
        coalesce(providers.n_subsidised, 0) as n_subsidised,
        percent(providers.n_subsidised, providers.n_providers) as subsidised_pct,
        coalesce(providers.n_medical_institutions, 0) as n_medical_institutions,
        coalesce(providers.n_opinion_electronic_institutions, 0) as n_opinion_electronic_institutions,
        coalesce(previous.n_users, 0) as n_users,
        coalesce(previous.n_users_with_consent, 0) as n_users_with_consent,
        percent(previous.n_users_with_consent, previous.n_users) as consent_pct,
        coalesce(previous.n_record_views, 0) as n_record_views,
        case when previous.n_users > 0 then 1.0 * previous.n_record_views / previous.n_users end
            as record_views_per_user,
        coalesce(previous.n_opinions, 0) as n_opinions,
        coalesce(previous.n_opinions_electronic, 0) as n_opinions_electronic,
        percent(previous.n_opinions_electronic, previous.n_opinions) as opinions_electronic_pct
    from registry_months
    left join onboarding as providers
        on providers.insurer_number = registry_months.insurer_number
        and providers.month_key = registry_months.month_key
    left join onboarding as previous
        on previous.insurer_number = registry_months.insurer_number
        and previous.month_key = registry_months.previous_month_key
)

select * from final
order by month_key, insurer_number
