-- Calendar months of this school year, up to the day before the as-of date, with at least
-- $absenteeism_threshold unjustified absent half-days.
SELECT student_id, as_of, count(*) AS absenteeism_months_ytd
FROM (
    SELECT r.student_id, r.as_of, date_trunc('month', d.date) AS month
    FROM roster AS r
    JOIN vigie_as_of AS a ON a.as_of = r.as_of
    JOIN attendance_days AS d
        ON d.student_id = r.student_id AND d.date >= a.year_start AND d.date < r.as_of
    GROUP BY r.student_id, r.as_of, date_trunc('month', d.date)
    HAVING sum(d.unjustified) >= $absenteeism_threshold
)
GROUP BY student_id, as_of
