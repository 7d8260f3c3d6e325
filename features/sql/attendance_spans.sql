-- Attendance summed per student and range of as-of dates each day counts for (see the
-- `vigie_days` helper table): events of days with the same ranges are added up once, however
-- many as-of dates they count for.
SELECT
    d.student_id,
    v.bucket,
    v.until_2w,
    v.until_4w,
    v.until_8w,
    v.until_ytd,
    sum(d.unjustified) AS unjustified,
    sum(d.justified) AS justified,
    sum(d.lates) AS lates
FROM attendance_days AS d
JOIN vigie_days AS v ON v.day = d.date
GROUP BY ALL
