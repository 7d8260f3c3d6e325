-- Running totals of `attendance_changes` per student in as-of order: each row holds the
-- counts for the as-of dates numbered first_index to next_index - 1 (up to the next change,
-- or the last as-of date).
SELECT
    student_id,
    as_of_index AS first_index,
    coalesce(lead(as_of_index) OVER per_student, $as_of_count + 1) AS next_index,
    sum(unjustified_2w) OVER so_far AS unjustified_absences_2w,
    sum(unjustified_4w) OVER so_far AS unjustified_absences_4w,
    sum(unjustified_8w) OVER so_far AS unjustified_absences_8w,
    sum(unjustified_ytd) OVER so_far AS unjustified_absences_ytd,
    sum(justified_2w) OVER so_far AS justified_absences_2w,
    sum(justified_4w) OVER so_far AS justified_absences_4w,
    sum(justified_8w) OVER so_far AS justified_absences_8w,
    sum(justified_ytd) OVER so_far AS justified_absences_ytd,
    sum(lates_4w) OVER so_far AS lates_4w,
    sum(lates_ytd) OVER so_far AS lates_ytd,
    sum(absenteeism_months) OVER so_far AS absenteeism_months_ytd
FROM attendance_changes
WINDOW
    per_student AS (PARTITION BY student_id ORDER BY as_of_index),
    so_far AS (
        PARTITION BY student_id ORDER BY as_of_index
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
