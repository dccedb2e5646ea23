-- Planned units as a share of the benefit limit, by care level and month.
select care_level_code, target_month, count(*) as lines,
       sum(cast(planned_total_units as double)) / sum(cast(limit_units as double)) as share_of_limit
from benefit_management_lines
where limit_units > 0
group by care_level_code, target_month
order by care_level_code, target_month
