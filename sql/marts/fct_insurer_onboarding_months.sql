-- fct_insurer_onboarding_months: the hub's take-up per insurer and month, summed from the provider
-- registry, the providers' monthly activity and the physician's opinions (sidecar:
-- fct_insurer_onboarding_months.toml). Each count belongs to its own month: providers as
-- published in that month's delivery, activity in that service month, opinions written in that
-- month. A pre-aggregated mart, as fct_insurer_months is for claims: the onboarding roll-out model
-- joins a row per insurer and month instead of aggregating the source rows each time.
with provider_counts as (
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
        cast(service_month as int) as month_key,
        sum(n_users) as n_users,
        sum(n_users_with_consent) as n_users_with_consent,
        sum(n_record_views) as n_record_views
    from provider_activity
    group by insurer_number, cast(service_month as int)
),

opinions as (
    select
        insurer_number,
        opinion_month_key as month_key,
        count(*) as n_opinions,
        sum(case when is_opinion_electronic then 1 else 0 end) as n_opinions_electronic
    from stg_certifications
    group by insurer_number, opinion_month_key
),

-- One row per insurer and month any of the three has; a month one of them lacks counts 0 there.
months as (
    select insurer_number, month_key from provider_counts
    union
    select insurer_number, month_key from activity
    union
    select insurer_number, month_key from opinions
),

final as (
    select
        months.insurer_number,
        months.month_key,
        coalesce(provider_counts.n_providers, 0) as n_providers,
        coalesce(provider_counts.n_portal_registered, 0) as n_portal_registered,
        coalesce(provider_counts.n_client_certificate, 0) as n_client_certificate,
        coalesce(provider_counts.n_subsidised, 0) as n_subsidised,
        coalesce(provider_counts.n_medical_institutions, 0) as n_medical_institutions,
        coalesce(provider_counts.n_opinion_electronic_institutions, 0) as n_opinion_electronic_institutions,
        coalesce(activity.n_users, 0) as n_users,
        coalesce(activity.n_users_with_consent, 0) as n_users_with_consent,
        coalesce(activity.n_record_views, 0) as n_record_views,
        coalesce(opinions.n_opinions, 0) as n_opinions,
        coalesce(opinions.n_opinions_electronic, 0) as n_opinions_electronic
    from months
    left join provider_counts
        on provider_counts.insurer_number = months.insurer_number and provider_counts.month_key = months.month_key
    left join activity on activity.insurer_number = months.insurer_number and activity.month_key = months.month_key
    left join opinions on opinions.insurer_number = months.insurer_number and opinions.month_key = months.month_key
)

select * from final
order by insurer_number, month_key
