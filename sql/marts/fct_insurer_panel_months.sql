-- fct_insurer_panel_months: persons per insurer and month from the person-month panel, with what
-- followed within a year (sidecar: fct_insurer_panel_months.toml).
with

-- The last month whose year of follow-up the panel covers (a year before its last month):
-- later months' outcome counts are null.
complete_follow_up as (
    select max(month_key) - 100 as last_month_key
    from fct_person_month_follow_up
),

new_certifications as (
    select months.insurer_number, months.month_key, count(*) as n_new_certifications
    from dim_persons as persons
    inner join fct_person_months as months
        on persons.person_key = months.person_key
        and persons.new_certification_month_key = months.month_key
    group by months.insurer_number, months.month_key
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
        sum(case when care_level_code is not null and dies_within_year
            then 1 else 0 end) as n_certified_died_within_year,
        sum(case when care_level_code is not null and not is_facility and facility_within_year
            then 1 else 0 end) as n_certified_admitted_within_year
    from fct_person_month_follow_up
    group by insurer_number, month_key
)

select
    person_counts.insurer_number,
    person_counts.month_key,
    person_counts.n_certified,
    person_counts.n_certified_level_3_plus,
    coalesce(new_certifications.n_new_certifications, 0) as n_new_certifications,
    person_counts.n_users,
    person_counts.n_in_home_users,
    person_counts.n_facility_users,
    person_counts.n_deaths,
    case when person_counts.month_key <= complete_follow_up.last_month_key
        then person_counts.n_certified_died_within_year end as n_certified_died_within_year,
    case when person_counts.month_key <= complete_follow_up.last_month_key
        then person_counts.n_certified_admitted_within_year end as n_certified_admitted_within_year
from person_counts
cross join complete_follow_up
left join new_certifications
    on person_counts.insurer_number = new_certifications.insurer_number
    and person_counts.month_key = new_certifications.month_key
order by person_counts.month_key, person_counts.insurer_number
