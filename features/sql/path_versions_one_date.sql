-- `path_versions` when the query has a single as-of date: one version per student, the one
-- known from their latest start (`path_years_one_date`), holding for that date (numbered 1).
-- Repeated years (school years whose level rank is not above the previous year's) and school
-- changes (distinct establishments minus one), as in `path_versions`.
SELECT
    y.student_id,
    1 AS first_index,
    $as_of_count + 1 AS next_index,
    y.repeated_years,
    u.school_changes
FROM (
    SELECT student_id, count(*) FILTER (WHERE level_rank <= previous_rank) AS repeated_years
    FROM (
        SELECT
            student_id,
            level_rank,
            lag(level_rank) OVER (PARTITION BY student_id ORDER BY school_year) AS previous_rank
        FROM path_years
    )
    GROUP BY student_id
) AS y
JOIN (
    SELECT student_id, count(DISTINCT uai) - 1 AS school_changes
    FROM enrollment_rows
    GROUP BY student_id
) AS u ON u.student_id = y.student_id
