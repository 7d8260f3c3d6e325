-- Calendar months of this school year, up to the day before the as-of date, with at least
-- $absenteeism_threshold unjustified absent half-days.
SELECT roster_id, count(*) AS absenteeism_months_ytd
FROM (
    SELECT r.roster_id
    FROM roster AS r
    JOIN vigie_as_of AS a ON a.as_of = r.as_of
    JOIN attendance_days AS d
        ON d.student_id = r.student_id AND d.date >= a.year_start AND d.date < r.as_of
    GROUP BY r.roster_id, date_trunc('month', d.date)
    HAVING sum(d.unjustified) >= $absenteeism_threshold
)
GROUP BY roster_id
