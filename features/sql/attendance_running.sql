-- Running totals of `attendance_changes` per student in as-of order: each row holds the
-- counts for the as-of dates numbered first_index to next_index - 1 (up to the next change,
-- or the last as-of date). The counts are kept as 32-bit integers (a sum is 128-bit), so that
-- the table every query reads stays narrow.
SELECT
    student_id,
    as_of_index AS first_index,
    coalesce(lead(as_of_index) OVER per_student, $as_of_count + 1) AS next_index,
    CAST(sum(unjustified_2w) OVER so_far AS INTEGER) AS unjustified_absences_2w,
    CAST(sum(unjustified_4w) OVER so_far AS INTEGER) AS unjustified_absences_4w,
    CAST(sum(unjustified_8w) OVER so_far AS INTEGER) AS unjustified_absences_8w,
    CAST(sum(unjustified_ytd) OVER so_far AS INTEGER) AS unjustified_absences_ytd,
    CAST(sum(justified_2w) OVER so_far AS INTEGER) AS justified_absences_2w,
    CAST(sum(justified_4w) OVER so_far AS INTEGER) AS justified_absences_4w,
    CAST(sum(justified_8w) OVER so_far AS INTEGER) AS justified_absences_8w,
    CAST(sum(justified_ytd) OVER so_far AS INTEGER) AS justified_absences_ytd,
    CAST(sum(lates_4w) OVER so_far AS INTEGER) AS lates_4w,
    CAST(sum(lates_ytd) OVER so_far AS INTEGER) AS lates_ytd,
    CAST(sum(absenteeism_months) OVER so_far AS INTEGER) AS absenteeism_months_ytd
FROM attendance_changes
WINDOW
    per_student AS (PARTITION BY student_id ORDER BY as_of_index),
    so_far AS (
        PARTITION BY student_id ORDER BY as_of_index
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
