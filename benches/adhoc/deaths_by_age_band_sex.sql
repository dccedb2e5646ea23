-- Deaths (register reason 11) by age band and sex.
select age_band(age_at_month(birth_year_month,
                             cast(extract(year from event_on) * 100 + extract(month from event_on) as bigint))) as age_band,
       sex_code, count(*) as deaths
from register_events
where reason_code = '11'
group by 1, sex_code
order by age_band, sex_code
