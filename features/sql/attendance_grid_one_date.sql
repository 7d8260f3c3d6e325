-- `attendance_grid` when the query has a single as-of date (numbered 1): every day read is
-- before it (bucket 0), so a span counts in a window when the date is in its range (until_* of
-- 1); a month that reached the absenteeism threshold counts up to the end of its school year.
-- The counts of `attendance_running`, summed directly rather than as running totals of packed
-- changes over several dates; a student gets a row when they have a span or a month, as there.
SELECT
    student_id,
    CAST(sum(unjustified_2w) AS INTEGER) AS unjustified_absences_2w,
    CAST(sum(unjustified_4w) AS INTEGER) AS unjustified_absences_4w,
    CAST(sum(unjustified_8w) AS INTEGER) AS unjustified_absences_8w,
    CAST(sum(unjustified_ytd) AS INTEGER) AS unjustified_absences_ytd,
    CAST(sum(justified_2w) AS INTEGER) AS justified_absences_2w,
    CAST(sum(justified_4w) AS INTEGER) AS justified_absences_4w,
    CAST(sum(justified_8w) AS INTEGER) AS justified_absences_8w,
    CAST(sum(justified_ytd) AS INTEGER) AS justified_absences_ytd,
    CAST(sum(lates_4w) AS INTEGER) AS lates_4w,
    CAST(sum(lates_ytd) AS INTEGER) AS lates_ytd,
    CAST(sum(months) AS INTEGER) AS absenteeism_months_ytd,
    1 AS as_of_index
FROM (
    SELECT
        student_id,
        CASE WHEN until_2w >= 1 THEN unjustified ELSE 0 END AS unjustified_2w,
        CASE WHEN until_4w >= 1 THEN unjustified ELSE 0 END AS unjustified_4w,
        CASE WHEN until_8w >= 1 THEN unjustified ELSE 0 END AS unjustified_8w,
        CASE WHEN until_ytd >= 1 THEN unjustified ELSE 0 END AS unjustified_ytd,
        CASE WHEN until_2w >= 1 THEN justified ELSE 0 END AS justified_2w,
        CASE WHEN until_4w >= 1 THEN justified ELSE 0 END AS justified_4w,
        CASE WHEN until_8w >= 1 THEN justified ELSE 0 END AS justified_8w,
        CASE WHEN until_ytd >= 1 THEN justified ELSE 0 END AS justified_ytd,
        CASE WHEN until_4w >= 1 THEN lates ELSE 0 END AS lates_4w,
        CASE WHEN until_ytd >= 1 THEN lates ELSE 0 END AS lates_ytd,
        0 AS months
    FROM attendance_spans
    WHERE bucket = 0
    UNION ALL
    SELECT m.student_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, CASE WHEN v.until_ytd >= 1 THEN 1 ELSE 0 END
    FROM absenteeism_dates AS m
    JOIN vigie_days AS v ON v.day = m.reached_on
    WHERE v.bucket = 0
)
GROUP BY student_id
