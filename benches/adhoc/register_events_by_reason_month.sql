-- Register events per reason and month of the event.
select reason_code, extract(year from event_on) as event_year, extract(month from event_on) as event_month,
       count(*) as events
from register_events
group by reason_code, extract(year from event_on), extract(month from event_on)
order by reason_code, event_year, event_month
