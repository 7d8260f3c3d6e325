-- How the attendance counts change from one as-of date to the next, per student: a span adds
-- its events to every window from as-of date bucket + 1 on and takes them out of each window
-- after its last as-of date (until_* + 1); a month reaching the absenteeism threshold adds 1
-- from the next as-of date to the end of its school year. Only as-of dates of this query
-- (numbered 1 to $as_of_count) are kept. Running totals of these changes give the counts.
-- The eleven counts travel packed in one exact integer (HUGEINT), 11 bits each, so that one
-- sum carries them all (see `attendance_running`): the sum of packed changes is the packed sum
-- of the changes, and no field spills into the next as long as every running total, a count
-- of one as-of date, stays within 0 to 2047. It does on any input the build accepts: a window
-- spans at most 366 days (the school year so far; 14 to 56 days for the others) and a student
-- has at most 4 rows a day (`attendance_days` stops the build otherwise), so a count is at
-- most 1,464; absenteeism months are at most 12.
-- Fields: 0-3 unjustified 2w/4w/8w/ytd, 4-7 justified 2w/4w/8w/ytd, 8-9 lates 4w/ytd,
-- 10 absenteeism months.
SELECT student_id, as_of_index, sum(change) AS change
FROM (
    SELECT
        student_id,
        bucket + 1 AS as_of_index,
        (CAST(unjustified AS HUGEINT) << 0) + (CAST(unjustified AS HUGEINT) << 11)
            + (CAST(unjustified AS HUGEINT) << 22) + (CAST(unjustified AS HUGEINT) << 33)
            + (CAST(justified AS HUGEINT) << 44) + (CAST(justified AS HUGEINT) << 55)
            + (CAST(justified AS HUGEINT) << 66) + (CAST(justified AS HUGEINT) << 77)
            + (CAST(lates AS HUGEINT) << 88) + (CAST(lates AS HUGEINT) << 99) AS change
    FROM attendance_spans
    UNION ALL
    SELECT
        student_id,
        until_2w + 1,
        -((CAST(unjustified AS HUGEINT) << 0) + (CAST(justified AS HUGEINT) << 44))
    FROM attendance_spans
    UNION ALL
    SELECT
        student_id,
        until_4w + 1,
        -((CAST(unjustified AS HUGEINT) << 11) + (CAST(justified AS HUGEINT) << 55)
            + (CAST(lates AS HUGEINT) << 88))
    FROM attendance_spans
    UNION ALL
    SELECT
        student_id,
        until_8w + 1,
        -((CAST(unjustified AS HUGEINT) << 22) + (CAST(justified AS HUGEINT) << 66))
    FROM attendance_spans
    UNION ALL
    SELECT
        student_id,
        until_ytd + 1,
        -((CAST(unjustified AS HUGEINT) << 33) + (CAST(justified AS HUGEINT) << 77)
            + (CAST(lates AS HUGEINT) << 99))
    FROM attendance_spans
    UNION ALL
    SELECT m.student_id, v.bucket + 1, CAST(1 AS HUGEINT) << 110
    FROM absenteeism_dates AS m
    JOIN vigie_days AS v ON v.day = m.reached_on
    UNION ALL
    SELECT m.student_id, v.until_ytd + 1, -(CAST(1 AS HUGEINT) << 110)
    FROM absenteeism_dates AS m
    JOIN vigie_days AS v ON v.day = m.reached_on
)
WHERE as_of_index <= $as_of_count
GROUP BY student_id, as_of_index
