-- Service units and lines per service kind and month, over every claim line.
select service_kind_code, service_month, count(*) as lines, sum(service_units) as units,
       sum(n_times) as times
from claim_lines
group by service_kind_code, service_month
order by service_kind_code, service_month
