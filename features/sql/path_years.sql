-- A student's path as known on the as-of date: for each school year with an enrollment that
-- started on or before the as-of date, the rank of its level (the level's nominal age), taken
-- from the enrollment with the latest start that year (ties as in the roster).
SELECT r.roster_id, e.school_year, lv.nominal_age AS level_rank
FROM roster AS r
JOIN enrollment_rows AS e ON e.student_id = r.student_id AND e.start_date <= r.as_of
LEFT JOIN vigie_levels AS lv ON lv.level = e.level
QUALIFY row_number() OVER (
    PARTITION BY r.roster_id, e.school_year
    ORDER BY e.start_date DESC, e.uai, e.class_id, e.level
) = 1
