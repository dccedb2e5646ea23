-- rollout_onboarding_by_prefecture_month: the hub's take-up by prefecture and nationally, per
-- registry month (sidecar: rollout_onboarding_by_prefecture_month.toml).
with rolled_up as (
    select
        coalesce(prefecture_code, 'all') as prefecture_code,
        month_key,
        sum(n_providers) as n_providers,
        sum(n_client_certificate) as n_client_certificate,
        sum(n_subsidised) as n_subsidised,
        sum(n_medical_institutions) as n_medical_institutions,
        sum(n_opinion_electronic_institutions) as n_opinion_electronic_institutions,
        sum(n_users) as n_users,
        sum(n_users_with_consent) as n_users_with_consent,
        sum(n_record_views) as n_record_views,
        sum(n_opinions) as n_opinions,
        sum(n_opinions_electronic) as n_opinions_electronic
    from rollout_onboarding_by_insurer_month
    group by grouping sets ((prefecture_code, month_key), (month_key))
),

final as (
    select
        prefecture_code,
        month_key,
        n_providers,
        n_client_certificate,
        percent(n_client_certificate, n_providers) as client_certificate_pct,
        n_subsidised,
        percent(n_subsidised, n_providers) as subsidised_pct,
        n_medical_institutions,
        n_opinion_electronic_institutions,
        n_users,
        n_users_with_consent,
        percent(n_users_with_consent, n_users) as consent_pct,
        n_record_views,
        case when n_users > 0 then 1.0 * n_record_views / n_users end as record_views_per_user,
        n_opinions,
        n_opinions_electronic,
        percent(n_opinions_electronic, n_opinions) as opinions_electronic_pct
    from rolled_up
)

select * from final
order by month_key, prefecture_code
