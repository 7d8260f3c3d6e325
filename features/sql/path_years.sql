-- A student's path as known from each start date of their enrollments on (a "version": the
-- path changes only when an enrollment starts, so every as-of date reads the latest version
-- started on or before it, in `path_features`): for each school year with an enrollment
-- started by then, the rank of its level (the level's nominal age), taken from the enrollment
-- with the latest start that year (ties as in the roster). `year_order` numbers a student's
-- enrollments of a school year in that order, so that the first one started is the one of
-- smallest number: no window per as-of date.
SELECT v.student_id, v.known_from, e.school_year, arg_min_null(lv.nominal_age, e.year_order)
    AS level_rank
FROM (SELECT DISTINCT student_id, start_date AS known_from FROM enrollment_rows) AS v
JOIN (
    SELECT
        student_id,
        school_year,
        level,
        start_date,
        row_number() OVER (
            PARTITION BY student_id, school_year ORDER BY start_date DESC, uai, class_id, level
        ) AS year_order
    FROM enrollment_rows
) AS e ON e.student_id = v.student_id AND e.start_date <= v.known_from
LEFT JOIN vigie_levels AS lv ON lv.level = e.level
GROUP BY v.student_id, v.known_from, e.school_year
