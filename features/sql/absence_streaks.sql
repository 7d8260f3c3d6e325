-- Longest run of consecutive class days with an absence this school year (gaps and islands:
-- consecutive class-day numbers minus their rank are constant within a run). Absences on days
-- without class neither extend nor break a run.
SELECT roster_id, max(run_length) AS longest_absence_streak_ytd
FROM (
    SELECT roster_id, count(*) AS run_length
    FROM (
        SELECT
            r.roster_id,
            c.class_day_number
                - row_number() OVER (PARTITION BY r.roster_id ORDER BY c.class_day_number)
                AS run
        FROM roster AS r
        JOIN vigie_as_of AS a ON a.as_of = r.as_of
        JOIN attendance_days AS d
            ON d.student_id = r.student_id AND d.date >= a.year_start AND d.date < r.as_of
        JOIN vigie_class_days AS c ON c.day = d.date
        WHERE d.unjustified + d.justified > 0
    )
    GROUP BY roster_id, run
)
GROUP BY roster_id
