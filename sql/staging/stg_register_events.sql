-- stg_register_events: each loaded register event (資格異動) with its linked person and month
-- (sidecar: stg_register_events.toml).
select
    person_map.person_key,
    register_events.identity_key,
    register_events.insurer_number,
    register_events.event_on,
    cast(extract(year from register_events.event_on) * 100 + extract(month from register_events.event_on) as int)
        as month_key,
    register_events.event_kind_code,
    register_events.reason_code,
    register_events.source_file_id,
    register_events.source_line
from register_events
inner join person_map on person_map.identity_key = register_events.identity_key
