-- Months from application to the certification board, by insurer and application kind.
select insurer_number, application_kind_code, count(*) as certifications,
       avg(cast((extract(year from board_on) * 12 + extract(month from board_on))
              - (extract(year from application_on) * 12 + extract(month from application_on)) as double)) as mean_months
from certifications
group by insurer_number, application_kind_code
order by insurer_number, application_kind_code
