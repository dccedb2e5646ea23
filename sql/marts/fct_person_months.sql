-- fct_person_months: the person-month panel outcome analysis starts from (sidecar: fct_person_months.toml).
-- Months are YYYYMM integers; a month index is year * 12 + month - 1, so a certification's
-- validity, and each assessment's span until the next, expand to one row per month joined on equal
-- keys rather than by a range join. The joins, aggregates and windows are by person or by person
-- and month, so a filter on the month (the incremental build's) reaches the scans.
with months as (
    select distinct month_key
    from stg_claim_statements
),

-- The certification in force in each month: the latest board decision among those valid then.
certified as (
    select
        validity.person_key,
        months.month_key,
        validity.care_level_code,
        validity.insurer_number
    from (
        select
            person_key,
            care_level_code,
            insurer_number,
            board_on,
            valid_from,
            delivery_month,
            source_file_id,
            source_line,
            unnest(generate_series(valid_from_month_index, valid_to_month_index)) as month_index
        from stg_certifications
        where valid_from is not null and valid_to is not null
    ) as validity
    inner join months
        on months.month_key
        = cast((validity.month_index - validity.month_index % 12) / 12 * 100 + validity.month_index % 12 + 1 as int)
    qualify row_number() over (
        partition by validity.person_key, months.month_key
        order by validity.board_on desc, validity.valid_from desc, validity.delivery_month desc,
            validity.source_file_id desc, validity.source_line desc
    ) = 1
),

served as (
    select
        person_key,
        month_key,
        count(*) as n_statements,
        sum(insurance_units) as insurance_units,
        sum(cost_yen) as cost_yen,
        max(insurer_number) as insurer_number
    from stg_claim_statements
    group by person_key, month_key
),

served_by_group as (
    select
        person_key,
        month_key,
        count(distinct service_kind_code) as n_service_kinds,
        sum(case when group_code = 'in_home' then units_total else 0 end) as in_home_units,
        sum(case when group_code = 'community' then units_total else 0 end) as community_units,
        sum(case when group_code = 'facility' then units_total else 0 end) as facility_units,
        sum(case when group_code = 'care_management' then units_total else 0 end) as care_management_units,
        sum(case when group_code = 'preventive' then units_total else 0 end) as preventive_units
    from stg_claim_service_totals
    group by person_key, month_key
),

deaths as (
    select
        person_key,
        min(month_key) as death_month_key
    from stg_register_events
    where event_kind_code = '2' and reason_code = '11'
    group by person_key
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

-- The latest assessment of each person in each month.
assessments as (
    select person_key, month_key, barthel_total
    from stg_life_assessments
    qualify row_number() over (
        partition by person_key, month_key
        order by evaluated_on desc, delivery_month desc, source_file_id desc, source_line desc
    ) = 1
),

-- Each assessment is the latest from its month up to the month before the person's next one (or
-- the last month of the data): its months, as an equi-join key like the certifications'.
assessment_spans as (
    select
        assessments.person_key,
        assessments.barthel_total,
        cast((assessments.month_key - assessments.month_key % 100) / 100 as bigint) * 12
        + assessments.month_key % 100 - 1 as first_month_index,
        coalesce(
            lead(
                cast((assessments.month_key - assessments.month_key % 100) / 100 as bigint) * 12
                + assessments.month_key % 100 - 1
            ) over (partition by assessments.person_key order by assessments.month_key) - 1,
            cast((last_month.month_key - last_month.month_key % 100) / 100 as bigint) * 12
            + last_month.month_key % 100 - 1
        ) as last_month_index
    from assessments
    cross join (select max(month_key) as month_key from months) as last_month
),

assessed as (
    select
        person_key,
        cast((month_index - month_index % 12) / 12 * 100 + month_index % 12 + 1 as int) as month_key,
        barthel_total
    from (
        select
            person_key,
            barthel_total,
            unnest(generate_series(first_month_index, last_month_index)) as month_index
        from assessment_spans
    ) as expanded
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
