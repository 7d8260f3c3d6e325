-- Repeated years (school years whose level rank is not above the previous year's in the path)
-- and school changes (distinct establishments minus one).
SELECT y.student_id, y.as_of, y.repeated_years, u.school_changes
FROM (
    SELECT student_id, as_of, count(*) FILTER (WHERE level_rank <= previous_rank) AS repeated_years
    FROM (
        SELECT
            student_id,
            as_of,
            level_rank,
            lag(level_rank) OVER (PARTITION BY student_id, as_of ORDER BY school_year)
                AS previous_rank
        FROM path_years
    )
    GROUP BY student_id, as_of
) AS y
JOIN (
    SELECT r.student_id, r.as_of, count(DISTINCT e.uai) - 1 AS school_changes
    FROM roster AS r
    JOIN enrollment_rows AS e ON e.student_id = r.student_id AND e.start_date <= r.as_of
    GROUP BY r.student_id, r.as_of
) AS u ON u.student_id = y.student_id AND u.as_of = y.as_of
