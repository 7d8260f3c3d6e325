-- `path_years` when the query has a single as-of date: every enrollment read has started on
-- or before it (`enrollment_rows`), so the one version of a student's path that holds for it
-- is the one known from their latest start, which reads all of them. For each school year,
-- the rank of the level of the enrollment with the latest start that year (ties as in the
-- roster): no version per start date, no join of the enrollments to each of them.
SELECT e.student_id, e.school_year, arg_min_null(lv.nominal_age, e.year_order) AS level_rank
FROM (
    SELECT
        student_id,
        school_year,
        level,
        row_number() OVER (
            PARTITION BY student_id, school_year ORDER BY start_date DESC, uai, class_id, level
        ) AS year_order
    FROM enrollment_rows
) AS e
LEFT JOIN vigie_levels AS lv ON lv.level = e.level
GROUP BY e.student_id, e.school_year
