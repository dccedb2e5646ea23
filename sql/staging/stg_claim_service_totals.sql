-- stg_claim_service_totals: each loaded service total (集計情報) with its linked person, typed
-- month and its service kind's group (sidecar: stg_claim_service_totals.toml).
select
    person_map.person_key,
    claim_service_totals.identity_key,
    claim_service_totals.insurer_number,
    cast(claim_service_totals.service_month as int) as month_key,
    claim_service_totals.service_kind_code,
    dim_service_kinds.group_code,
    claim_service_totals.units_total,
    claim_service_totals.source_file_id,
    claim_service_totals.source_line
from claim_service_totals
inner join person_map on person_map.identity_key = claim_service_totals.identity_key
left join dim_service_kinds on dim_service_kinds.service_kind_code = claim_service_totals.service_kind_code
