-- Repeated years (school years whose level rank is not above the previous year's in the path)
-- and school changes (distinct establishments minus one).
SELECT y.roster_id, y.repeated_years, u.school_changes
FROM (
    SELECT roster_id, count(*) FILTER (WHERE level_rank <= previous_rank) AS repeated_years
    FROM (
        SELECT
            roster_id,
            level_rank,
            lag(level_rank) OVER (PARTITION BY roster_id ORDER BY school_year) AS previous_rank
        FROM path_years
    )
    GROUP BY roster_id
) AS y
JOIN (
    SELECT r.roster_id, count(DISTINCT e.uai) - 1 AS school_changes
    FROM roster AS r
    JOIN enrollment_rows AS e ON e.student_id = r.student_id AND e.start_date <= r.as_of
    GROUP BY r.roster_id
) AS u ON u.roster_id = y.roster_id
