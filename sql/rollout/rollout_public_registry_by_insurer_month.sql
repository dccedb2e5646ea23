-- rollout_public_registry_by_insurer_month: the roll-out facts about each insurer that are public
-- administrative information — name, size, start status and dates, whether data flows — with no
-- count of persons or providers, which is what lets `kaigo release` publish it without
-- suppression (sidecar: rollout_public_registry_by_insurer_month.toml).
select
    status.insurer_number,
    status.month_key,
    registry.insurer_name,
    status.prefecture_code,
    status.size_class_code,
    status.population_65_plus,
    status.status_code,
    status.planned_start_month_key,
    status.started_month_key,
    status.is_live,
    status.users_flowing_threshold,
    status.is_scheduled_by_target
from rollout_status_by_insurer_month as status
inner join dim_insurer_months as registry
    on status.insurer_number = registry.insurer_number
    and status.month_key = registry.month_key
