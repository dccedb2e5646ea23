-- Mean Barthel index and vitality per care level and evaluation point (LIFE).
select care_level_code, evaluation_point_code, count(*) as assessments,
       avg(cast(barthel_total as double)) as mean_barthel, avg(cast(vitality_total as double)) as mean_vitality
from life_assessments
group by care_level_code, evaluation_point_code
order by care_level_code, evaluation_point_code
