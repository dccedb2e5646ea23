-- fct_person_months: the person-month panel outcome analysis starts from.
-- grain: person_key, month_key
-- reads: person_map, certifications, claim_statements, claim_service_totals, register_events, life_assessments, dim_service_kinds
--
-- One row per linked person (person_map) per month in which a care-need certification was in
-- force or a service was claimed, up to and including the month of death. The hub sees a person
-- only through certification and services, so a month with neither (a lapse between
-- certifications) has no row. Months are YYYYMM integers; the spine is every service month the
-- claims cover, so nothing is projected past the data.
--
-- care_level_code: of the certification in force on the month (the latest decision when
-- several overlap). insurer_number: the insurer that paid the month's claims, else the one that
-- certified. Units and cost: all claim statements of the month (cost = insurance claim + user
-- charge, yen); units by service group from the service totals. is_facility: any facility
-- service (施設サービス) claimed in the month. barthel_total: the latest LIFE assessment on or
-- before the month. died_in_month: a register loss for death (異動事由 11) in the month.
WITH months AS (
    SELECT DISTINCT CAST(service_month AS INTEGER) AS month_key
    FROM claim_statements
),

certified AS (
    SELECT
        map.person_key,
        months.month_key,
        cert.care_level_code,
        cert.insurer_number,
        ROW_NUMBER() OVER (
            PARTITION BY map.person_key, months.month_key
            ORDER BY cert.board_on DESC, cert.valid_from DESC, cert.delivery_month DESC,
                cert.source_file_id DESC, cert.source_line DESC
        ) AS recency
    FROM certifications AS cert
    INNER JOIN person_map AS map ON map.identity_key = cert.identity_key
    INNER JOIN months
        ON months.month_key
        BETWEEN EXTRACT(YEAR FROM cert.valid_from) * 100 + EXTRACT(MONTH FROM cert.valid_from)
        AND EXTRACT(YEAR FROM cert.valid_to) * 100 + EXTRACT(MONTH FROM cert.valid_to)
    WHERE cert.valid_from IS NOT NULL AND cert.valid_to IS NOT NULL
),

served AS (
    SELECT
        map.person_key,
        CAST(statement.service_month AS INTEGER) AS month_key,
        COUNT(*) AS n_statements,
        SUM(statement.insurance_units) AS insurance_units,
        SUM(statement.insurance_claim_yen + statement.user_charge_yen) AS cost_yen,
        MAX(statement.insurer_number) AS insurer_number
    FROM claim_statements AS statement
    INNER JOIN person_map AS map ON map.identity_key = statement.identity_key
    GROUP BY map.person_key, CAST(statement.service_month AS INTEGER)
),

by_group AS (
    SELECT
        map.person_key,
        CAST(total.service_month AS INTEGER) AS month_key,
        COUNT(DISTINCT total.service_kind_code) AS n_service_kinds,
        SUM(CASE WHEN kind.group_code = 'in_home' THEN total.units_total ELSE 0 END) AS in_home_units,
        SUM(CASE WHEN kind.group_code = 'community' THEN total.units_total ELSE 0 END) AS community_units,
        SUM(CASE WHEN kind.group_code = 'facility' THEN total.units_total ELSE 0 END) AS facility_units,
        SUM(CASE WHEN kind.group_code = 'care_management' THEN total.units_total ELSE 0 END)
            AS care_management_units,
        SUM(CASE WHEN kind.group_code = 'preventive' THEN total.units_total ELSE 0 END) AS preventive_units
    FROM claim_service_totals AS total
    INNER JOIN person_map AS map ON map.identity_key = total.identity_key
    INNER JOIN dim_service_kinds AS kind ON kind.service_kind_code = total.service_kind_code
    GROUP BY map.person_key, CAST(total.service_month AS INTEGER)
),

deaths AS (
    SELECT
        map.person_key,
        MIN(EXTRACT(YEAR FROM event.event_on) * 100 + EXTRACT(MONTH FROM event.event_on)) AS death_month_key
    FROM register_events AS event
    INNER JOIN person_map AS map ON map.identity_key = event.identity_key
    WHERE event.event_kind_code = '2' AND event.reason_code = '11'
    GROUP BY map.person_key
),

spine AS (
    SELECT person_key, month_key FROM certified WHERE recency = 1
    UNION
    SELECT person_key, month_key FROM served
),

alive AS (
    SELECT
        spine.person_key,
        spine.month_key,
        deaths.death_month_key
    FROM spine
    LEFT JOIN deaths ON deaths.person_key = spine.person_key
    WHERE deaths.death_month_key IS NULL OR spine.month_key <= deaths.death_month_key
),

assessed AS (
    SELECT
        alive.person_key,
        alive.month_key,
        assessment.barthel_total,
        ROW_NUMBER() OVER (
            PARTITION BY alive.person_key, alive.month_key
            ORDER BY assessment.evaluated_on DESC, assessment.delivery_month DESC,
                assessment.source_file_id DESC, assessment.source_line DESC
        ) AS recency
    FROM alive
    INNER JOIN person_map AS map ON map.person_key = alive.person_key
    INNER JOIN life_assessments AS assessment
        ON assessment.identity_key = map.identity_key
        AND EXTRACT(YEAR FROM assessment.evaluated_on) * 100 + EXTRACT(MONTH FROM assessment.evaluated_on)
        <= alive.month_key
)

SELECT
    alive.person_key,
    alive.month_key,
    COALESCE(served.insurer_number, certified.insurer_number) AS insurer_number,
    certified.care_level_code,
    COALESCE(served.n_statements, 0) AS n_statements,
    COALESCE(by_group.n_service_kinds, 0) AS n_service_kinds,
    COALESCE(served.insurance_units, 0) AS insurance_units,
    COALESCE(served.cost_yen, 0) AS cost_yen,
    COALESCE(by_group.in_home_units, 0) AS in_home_units,
    COALESCE(by_group.community_units, 0) AS community_units,
    COALESCE(by_group.facility_units, 0) AS facility_units,
    COALESCE(by_group.care_management_units, 0) AS care_management_units,
    COALESCE(by_group.preventive_units, 0) AS preventive_units,
    COALESCE(by_group.facility_units, 0) > 0 AS is_facility,
    assessed.barthel_total,
    COALESCE(alive.death_month_key = alive.month_key, FALSE) AS died_in_month
FROM alive
LEFT JOIN certified
    ON certified.person_key = alive.person_key AND certified.month_key = alive.month_key AND certified.recency = 1
LEFT JOIN served ON served.person_key = alive.person_key AND served.month_key = alive.month_key
LEFT JOIN by_group ON by_group.person_key = alive.person_key AND by_group.month_key = alive.month_key
LEFT JOIN assessed
    ON assessed.person_key = alive.person_key AND assessed.month_key = alive.month_key AND assessed.recency = 1
ORDER BY alive.month_key, alive.person_key
