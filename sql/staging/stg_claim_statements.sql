-- stg_claim_statements: each loaded claim statement with its linked person, typed months and cost
-- (sidecar: stg_claim_statements.toml).
select
    person_map.person_key,
    claim_statements.identity_key,
    claim_statements.insurer_number,
    cast(claim_statements.service_month as int) as month_key,
    cast(claim_statements.delivery_month as int) as delivery_month_key,
    claim_statements.insurance_units,
    claim_statements.insurance_claim_yen + claim_statements.user_charge_yen as cost_yen,
    claim_statements.source_file_id,
    claim_statements.source_line
from claim_statements
inner join person_map on person_map.identity_key = claim_statements.identity_key
