-- How each attendance count changes from one as-of date to the next, per student: a span adds
-- its events to every window from as-of date bucket + 1 on and takes them out of each window
-- after its last as-of date (until_* + 1); a month reaching the absenteeism threshold adds 1
-- from the next as-of date to the end of its school year. Only as-of dates of this query
-- (numbered 1 to $as_of_count) are kept. Running totals of these changes give the counts.
SELECT
    student_id,
    as_of_index,
    sum(unjustified_2w) AS unjustified_2w,
    sum(unjustified_4w) AS unjustified_4w,
    sum(unjustified_8w) AS unjustified_8w,
    sum(unjustified_ytd) AS unjustified_ytd,
    sum(justified_2w) AS justified_2w,
    sum(justified_4w) AS justified_4w,
    sum(justified_8w) AS justified_8w,
    sum(justified_ytd) AS justified_ytd,
    sum(lates_4w) AS lates_4w,
    sum(lates_ytd) AS lates_ytd,
    sum(absenteeism_months) AS absenteeism_months
FROM (
    SELECT
        student_id, bucket + 1 AS as_of_index,
        unjustified AS unjustified_2w, unjustified AS unjustified_4w,
        unjustified AS unjustified_8w, unjustified AS unjustified_ytd,
        justified AS justified_2w, justified AS justified_4w,
        justified AS justified_8w, justified AS justified_ytd,
        lates AS lates_4w, lates AS lates_ytd, 0 AS absenteeism_months
    FROM attendance_spans
    UNION ALL
    SELECT student_id, until_2w + 1, -unjustified, 0, 0, 0, -justified, 0, 0, 0, 0, 0, 0
    FROM attendance_spans
    UNION ALL
    SELECT student_id, until_4w + 1, 0, -unjustified, 0, 0, 0, -justified, 0, 0, -lates, 0, 0
    FROM attendance_spans
    UNION ALL
    SELECT student_id, until_8w + 1, 0, 0, -unjustified, 0, 0, 0, -justified, 0, 0, 0, 0
    FROM attendance_spans
    UNION ALL
    SELECT student_id, until_ytd + 1, 0, 0, 0, -unjustified, 0, 0, 0, -justified, 0, -lates, 0
    FROM attendance_spans
    UNION ALL
    SELECT m.student_id, v.bucket + 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
    FROM absenteeism_dates AS m
    JOIN vigie_days AS v ON v.day = m.reached_on
    UNION ALL
    SELECT m.student_id, v.until_ytd + 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1
    FROM absenteeism_dates AS m
    JOIN vigie_days AS v ON v.day = m.reached_on
)
WHERE as_of_index <= $as_of_count
GROUP BY student_id, as_of_index
