-- Absent half-days and late arrivals in each window, strictly before the as-of date.
SELECT
    r.roster_id,
    sum(d.unjustified) FILTER (WHERE d.date >= a.start_2w) AS unjustified_absences_2w,
    sum(d.unjustified) FILTER (WHERE d.date >= a.start_4w) AS unjustified_absences_4w,
    sum(d.unjustified) FILTER (WHERE d.date >= a.start_8w) AS unjustified_absences_8w,
    sum(d.unjustified) FILTER (WHERE d.date >= a.year_start) AS unjustified_absences_ytd,
    sum(d.justified) FILTER (WHERE d.date >= a.start_2w) AS justified_absences_2w,
    sum(d.justified) FILTER (WHERE d.date >= a.start_4w) AS justified_absences_4w,
    sum(d.justified) FILTER (WHERE d.date >= a.start_8w) AS justified_absences_8w,
    sum(d.justified) FILTER (WHERE d.date >= a.year_start) AS justified_absences_ytd,
    sum(d.lates) FILTER (WHERE d.date >= a.start_4w) AS lates_4w,
    sum(d.lates) FILTER (WHERE d.date >= a.year_start) AS lates_ytd
FROM roster AS r
JOIN vigie_as_of AS a ON a.as_of = r.as_of
JOIN attendance_days AS d
    ON d.student_id = r.student_id AND d.date >= a.earliest AND d.date < r.as_of
GROUP BY r.roster_id
