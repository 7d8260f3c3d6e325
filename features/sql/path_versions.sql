-- Repeated years (school years whose level rank is not above the previous year's in the path)
-- and school changes (distinct establishments minus one), per version of a student's path
-- (`path_years`: one per start date of an enrollment; a version depends on the enrollments
-- started on or before it only). A version holds for the as-of dates numbered `first_index`
-- (the first as-of date on or after its start) to `next_index` - 1 (up to the next version's
-- first date, or the last as-of date); versions that hold no as-of date are left out, so an
-- as-of date of a student reads one version at most (`path_features`).
SELECT
    student_id,
    known_from,
    first_index,
    coalesce(lead(first_index) OVER (PARTITION BY student_id ORDER BY known_from),
        $as_of_count + 1) AS next_index,
    repeated_years,
    school_changes
FROM (
    SELECT v.*, coalesce(a.as_of_index, 0) + 1 AS first_index
    FROM (
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
            JOIN enrollment_rows AS e
                ON e.student_id = v.student_id AND e.start_date <= v.known_from
            GROUP BY v.student_id, v.known_from
        ) AS u ON u.student_id = y.student_id AND u.known_from = y.known_from
    ) AS v
    ASOF LEFT JOIN vigie_as_of AS a ON a.as_of < v.known_from
)
QUALIFY first_index < next_index
