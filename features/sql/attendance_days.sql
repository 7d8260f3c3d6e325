-- Attendance per student and day, restricted to the dates any window can reach: one small row
-- per student-day that later joins each as-of date. An empty `justified` cell (rejected by
-- validation) counts as unjustified.
SELECT
    student_id,
    date,
    count(*) FILTER (WHERE kind = 'absence' AND NOT coalesce(justified, false)) AS unjustified,
    count(*) FILTER (WHERE kind = 'absence' AND coalesce(justified, false)) AS justified,
    count(*) FILTER (WHERE kind = 'late') AS lates
FROM attendance
WHERE date >= $attendance_from
    AND date < $last_as_of
GROUP BY student_id, date
