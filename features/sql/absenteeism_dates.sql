-- The day on which a student's unjustified absent half-days of a calendar month reach
-- $absenteeism_threshold: the month counts as an absenteeism month for the as-of dates after
-- that day in the same school year.
SELECT student_id, date AS reached_on
FROM (
    SELECT
        student_id,
        date,
        unjustified,
        sum(unjustified) OVER (
            PARTITION BY student_id, date_trunc('month', date)
            ORDER BY date
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS month_total
    FROM attendance_days
    WHERE unjustified > 0
)
WHERE month_total >= $absenteeism_threshold
    AND month_total - unjustified < $absenteeism_threshold
