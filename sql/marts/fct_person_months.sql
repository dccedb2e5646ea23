-- fct_person_months: the person-month panel outcome analysis starts from (sidecar: fct_person_months.toml).
-- Months are YYYYMM integers; a month index is year * 12 + month - 1, so a certification's
-- validity expands to one row per month by an equi-join rather than a range join, and the
-- as-of Barthel score is found with a running max rather than a join to every earlier assessment.
with months as (
    select distinct cast(service_month as int) as month_key
    from claim_statements
),

certifications_by_person as (
    select
        person_map.person_key,
        certifications.care_level_code,
        certifications.insurer_number,
        certifications.board_on,
        certifications.valid_from,
        certifications.delivery_month,
        certifications.source_file_id,
        certifications.source_line,
        extract(year from certifications.valid_from) * 12 + extract(month from certifications.valid_from) - 1
            as first_month_index,
        extract(year from certifications.valid_to) * 12 + extract(month from certifications.valid_to) - 1
            as last_month_index
    from certifications
    inner join person_map on person_map.identity_key = certifications.identity_key
    where certifications.valid_from is not null and certifications.valid_to is not null
),

certified_month_indexes as (
    select
        person_key,
        care_level_code,
        insurer_number,
        board_on,
        valid_from,
        delivery_month,
        source_file_id,
        source_line,
        unnest(generate_series(first_month_index, last_month_index)) as month_index
    from certifications_by_person
),

certified_ranked as (
    select
        certified.person_key,
        months.month_key,
        certified.care_level_code,
        certified.insurer_number,
        row_number() over (
            partition by certified.person_key, months.month_key
            order by certified.board_on desc, certified.valid_from desc, certified.delivery_month desc,
                certified.source_file_id desc, certified.source_line desc
        ) as recency
    from certified_month_indexes as certified
    inner join months
        on months.month_key
        = cast((certified.month_index - certified.month_index % 12) / 12 * 100 + certified.month_index % 12 + 1 as int)
),

certified as (
    select person_key, month_key, care_level_code, insurer_number
    from certified_ranked
    where recency = 1
),

served as (
    select
        person_map.person_key,
        cast(claim_statements.service_month as int) as month_key,
        count(*) as n_statements,
        sum(claim_statements.insurance_units) as insurance_units,
        sum(claim_statements.insurance_claim_yen + claim_statements.user_charge_yen) as cost_yen,
        max(claim_statements.insurer_number) as insurer_number
    from claim_statements
    inner join person_map on person_map.identity_key = claim_statements.identity_key
    group by person_map.person_key, cast(claim_statements.service_month as int)
),

served_by_group as (
    select
        person_map.person_key,
        cast(claim_service_totals.service_month as int) as month_key,
        count(distinct claim_service_totals.service_kind_code) as n_service_kinds,
        sum(case when dim_service_kinds.group_code = 'in_home' then claim_service_totals.units_total else 0 end)
            as in_home_units,
        sum(case when dim_service_kinds.group_code = 'community' then claim_service_totals.units_total else 0 end)
            as community_units,
        sum(case when dim_service_kinds.group_code = 'facility' then claim_service_totals.units_total else 0 end)
            as facility_units,
        sum(
            case when dim_service_kinds.group_code = 'care_management' then claim_service_totals.units_total else 0 end
        ) as care_management_units,
        sum(case when dim_service_kinds.group_code = 'preventive' then claim_service_totals.units_total else 0 end)
            as preventive_units
    from claim_service_totals
    inner join person_map on person_map.identity_key = claim_service_totals.identity_key
    inner join dim_service_kinds on dim_service_kinds.service_kind_code = claim_service_totals.service_kind_code
    group by person_map.person_key, cast(claim_service_totals.service_month as int)
),

deaths as (
    select
        person_map.person_key,
        min(extract(year from register_events.event_on) * 100 + extract(month from register_events.event_on))
            as death_month_key
    from register_events
    inner join person_map on person_map.identity_key = register_events.identity_key
    where register_events.event_kind_code = '2' and register_events.reason_code = '11'
    group by person_map.person_key
),

spine as (
    select person_key, month_key from certified
    union
    select person_key, month_key from served
),

alive as (
    select
        spine.person_key,
        spine.month_key,
        deaths.death_month_key
    from spine
    left join deaths on deaths.person_key = spine.person_key
    where deaths.death_month_key is null or spine.month_key <= deaths.death_month_key
),

assessments_ranked as (
    select
        person_map.person_key,
        cast(extract(year from life_assessments.evaluated_on) * 100 + extract(month from life_assessments.evaluated_on)
            as int) as month_key,
        life_assessments.barthel_total,
        row_number() over (
            partition by person_map.person_key,
                extract(year from life_assessments.evaluated_on) * 100 + extract(month from life_assessments.evaluated_on)
            order by life_assessments.evaluated_on desc, life_assessments.delivery_month desc,
                life_assessments.source_file_id desc, life_assessments.source_line desc
        ) as recency
    from life_assessments
    inner join person_map on person_map.identity_key = life_assessments.identity_key
),

assessments as (
    select person_key, month_key, barthel_total
    from assessments_ranked
    where recency = 1
),

-- Each spine month with the month of the latest assessment on or before it: a running max over
-- the spine and assessment months together (assessments sort first within a month).
assessed_months as (
    select
        person_key,
        month_key,
        is_spine,
        max(assessed_month_key) over (
            partition by person_key
            order by month_key, is_spine
            rows between unbounded preceding and current row
        ) as assessed_month_key
    from (
        select person_key, month_key, 1 as is_spine, cast(null as int) as assessed_month_key from alive
        union all
        select person_key, month_key, 0 as is_spine, month_key as assessed_month_key from assessments
    ) as timeline
),

assessed as (
    select
        assessed_months.person_key,
        assessed_months.month_key,
        assessments.barthel_total
    from assessed_months
    inner join assessments
        on assessments.person_key = assessed_months.person_key
        and assessments.month_key = assessed_months.assessed_month_key
    where assessed_months.is_spine = 1
),

final as (
    select
        alive.person_key,
        alive.month_key,
        coalesce(served.insurer_number, certified.insurer_number) as insurer_number,
        certified.care_level_code,
        coalesce(served.n_statements, 0) as n_statements,
        coalesce(served_by_group.n_service_kinds, 0) as n_service_kinds,
        coalesce(served.insurance_units, 0) as insurance_units,
        coalesce(served.cost_yen, 0) as cost_yen,
        coalesce(served_by_group.in_home_units, 0) as in_home_units,
        coalesce(served_by_group.community_units, 0) as community_units,
        coalesce(served_by_group.facility_units, 0) as facility_units,
        coalesce(served_by_group.care_management_units, 0) as care_management_units,
        coalesce(served_by_group.preventive_units, 0) as preventive_units,
        coalesce(served_by_group.facility_units, 0) > 0 as is_facility,
        assessed.barthel_total,
        coalesce(alive.death_month_key = alive.month_key, false) as died_in_month
    from alive
    left join certified on certified.person_key = alive.person_key and certified.month_key = alive.month_key
    left join served on served.person_key = alive.person_key and served.month_key = alive.month_key
    left join served_by_group
        on served_by_group.person_key = alive.person_key and served_by_group.month_key = alive.month_key
    left join assessed on assessed.person_key = alive.person_key and assessed.month_key = alive.month_key
)

select * from final
order by month_key, person_key
