-- Repeated years (school years whose level rank is not above the previous year's in the path)
-- and school changes (distinct establishments minus one), per version of a student's path
-- (`path_years`), then for each enrolled student and as-of date the latest version started on
-- or before that date (an ASOF join: the roster's own enrollment has started, so there is one).
SELECT
    r.roster_id,
    arg_max(p.repeated_years, p.known_from) AS repeated_years,
    arg_max(p.school_changes, p.known_from) AS school_changes
FROM roster AS r
JOIN (
    SELECT y.student_id, y.known_from, y.repeated_years, u.school_changes
    FROM (
        SELECT
            student_id,
            known_from,
            count(*) FILTER (WHERE level_rank <= previous_rank) AS repeated_years
        FROM (
            SELECT
                student_id,
                known_from,
                level_rank,
                lag(level_rank) OVER (
                    PARTITION BY student_id, known_from ORDER BY school_year
                ) AS previous_rank
            FROM path_years
        )
        GROUP BY student_id, known_from
    ) AS y
    JOIN (
        SELECT v.student_id, v.known_from, count(DISTINCT e.uai) - 1 AS school_changes
        FROM (SELECT DISTINCT student_id, start_date AS known_from FROM enrollment_rows) AS v
        JOIN enrollment_rows AS e ON e.student_id = v.student_id AND e.start_date <= v.known_from
        GROUP BY v.student_id, v.known_from
    ) AS u ON u.student_id = y.student_id AND u.known_from = y.known_from
) AS p ON p.student_id = r.student_id AND p.known_from <= r.as_of
GROUP BY r.roster_id
