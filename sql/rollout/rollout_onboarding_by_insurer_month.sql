-- rollout_onboarding_by_insurer_month: providers', users' and physicians' take-up of the hub per
-- insurer and registry month (sidecar: rollout_onboarding_by_insurer_month.toml).
with registry_months as (
    select insurer_number, prefecture_code, month_key, previous_month_key
    from dim_insurer_months
),

provider_counts as (
    select
        insurer_number,
        cast(delivery_month as int) as month_key,
        sum(case when is_medical_institution then 0 else 1 end) as n_providers,
        sum(case when not is_medical_institution and portal_registered_on is not null then 1 else 0 end)
            as n_portal_registered,
        sum(case when not is_medical_institution and client_certificate_on is not null then 1 else 0 end)
            as n_client_certificate,
        sum(case when not is_medical_institution and subsidy_yen > 0 then 1 else 0 end) as n_subsidised,
        sum(case when is_medical_institution then 1 else 0 end) as n_medical_institutions,
        sum(case when is_medical_institution and opinion_electronic_since is not null then 1 else 0 end)
            as n_opinion_electronic_institutions
    from providers
    group by insurer_number, cast(delivery_month as int)
),

activity as (
    select
        insurer_number,
        cast(service_month as int) as service_month_key,
        sum(n_users) as n_users,
        sum(n_users_with_consent) as n_users_with_consent,
        sum(n_record_views) as n_record_views
    from provider_activity
    group by insurer_number, cast(service_month as int)
),

opinions as (
    select
        insurer_number,
        cast(extract(year from opinion_on) * 100 + extract(month from opinion_on) as int) as opinion_month_key,
        count(*) as n_opinions,
        sum(case when is_opinion_electronic then 1 else 0 end) as n_opinions_electronic
    from certifications
    group by insurer_number, cast(extract(year from opinion_on) * 100 + extract(month from opinion_on) as int)
),

final as (
    select
        registry_months.insurer_number,
        registry_months.month_key,
        registry_months.prefecture_code,
        coalesce(provider_counts.n_providers, 0) as n_providers,
        coalesce(provider_counts.n_portal_registered, 0) as n_portal_registered,
        coalesce(provider_counts.n_client_certificate, 0) as n_client_certificate,
        case when provider_counts.n_providers > 0
            then 100.0 * provider_counts.n_client_certificate / provider_counts.n_providers end
            as client_certificate_pct,
        coalesce(provider_counts.n_subsidised, 0) as n_subsidised,
        case when provider_counts.n_providers > 0
            then 100.0 * provider_counts.n_subsidised / provider_counts.n_providers end as subsidised_pct,
        coalesce(provider_counts.n_medical_institutions, 0) as n_medical_institutions,
        coalesce(provider_counts.n_opinion_electronic_institutions, 0) as n_opinion_electronic_institutions,
        coalesce(activity.n_users, 0) as n_users,
        coalesce(activity.n_users_with_consent, 0) as n_users_with_consent,
        case when activity.n_users > 0 then 100.0 * activity.n_users_with_consent / activity.n_users end
            as consent_pct,
        coalesce(activity.n_record_views, 0) as n_record_views,
        case when activity.n_users > 0 then 1.0 * activity.n_record_views / activity.n_users end
            as record_views_per_user,
        coalesce(opinions.n_opinions, 0) as n_opinions,
        coalesce(opinions.n_opinions_electronic, 0) as n_opinions_electronic,
        case when opinions.n_opinions > 0 then 100.0 * opinions.n_opinions_electronic / opinions.n_opinions end
            as opinions_electronic_pct
    from registry_months
    left join provider_counts
        on provider_counts.insurer_number = registry_months.insurer_number
        and provider_counts.month_key = registry_months.month_key
    left join activity
        on activity.insurer_number = registry_months.insurer_number
        and activity.service_month_key = registry_months.previous_month_key
    left join opinions
        on opinions.insurer_number = registry_months.insurer_number
        and opinions.opinion_month_key = registry_months.previous_month_key
)

select * from final
order by month_key, insurer_number
