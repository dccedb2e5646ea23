-- Spells of consecutive service months per linked person (gaps and islands), by length.
with months as (
  select distinct m.person_key,
         cast(substr(s.service_month, 1, 4) as int) * 12 + cast(substr(s.service_month, 5, 2) as int) as month_index
  from claim_statements s
  join person_map m on m.identity_key = s.identity_key
),
islands as (
  select person_key, month_index - row_number() over (partition by person_key order by month_index) as island
  from months
),
spells as (
  select person_key, island, count(*) as length from islands group by person_key, island
)
select length, count(*) as spells
from spells
group by length
order by length
