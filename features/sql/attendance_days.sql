-- Attendance per student and day, restricted to the dates any window can reach: one small row
-- per student-day that later joins each as-of date. An empty `justified` cell (rejected by
-- validation) counts as unjustified. A student has at most four rows a day (the unique key
-- student_id, date, half_day, kind: an absence and a late arrival per half-day); more stops
-- the build, since the counts of `attendance_changes` are packed on that bound.
SELECT
    student_id,
    date,
    count(*) FILTER (WHERE kind = 'absence' AND NOT coalesce(justified, false)) AS unjustified,
    count(*) FILTER (WHERE kind = 'absence' AND coalesce(justified, false)) AS justified,
    CASE
        WHEN count(*) > 4 THEN error(
            'attendance: ' || count(*) || ' rows for student_id ' || student_id || ' on '
                || date || ', at most 4 are valid (one per half_day and kind): validate the '
                || 'extraction first'
        )
        ELSE count(*) FILTER (WHERE kind = 'late')
    END AS lates
FROM attendance
WHERE date >= $attendance_from
    AND date < $last_as_of
GROUP BY student_id, date
