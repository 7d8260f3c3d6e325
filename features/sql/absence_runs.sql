-- Runs of consecutive class days with an absence, per student and school year (gaps and
-- islands: consecutive class-day numbers minus their rank are constant within a run), with
-- their first and last day and the number of their first class day. Absences on days without
-- class neither extend nor break a run.
SELECT
    student_id,
    year_start,
    min(date) AS first_day,
    max(date) AS last_day,
    min(class_day_number) AS first_number,
    count(*) AS run_length
FROM (
    SELECT
        d.student_id,
        v.year_start,
        d.date,
        c.class_day_number,
        c.class_day_number - row_number() OVER (
            PARTITION BY d.student_id, v.year_start ORDER BY c.class_day_number
        ) AS run
    FROM attendance_days AS d
    JOIN vigie_class_days AS c ON c.day = d.date
    JOIN vigie_days AS v ON v.day = d.date
    WHERE d.unjustified + d.justified > 0
)
GROUP BY student_id, year_start, run
