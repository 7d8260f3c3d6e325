-- Running totals of `attendance_changes` per student in as-of order: each row holds the
-- counts for the as-of dates numbered first_index to next_index - 1 (up to the next change,
-- or the last as-of date). One running sum of the packed changes gives the eleven counts, each
-- taken out of its field of 11 bits (see `attendance_changes` for why none overflows). The
-- counts are kept as 32-bit integers, so that the table every query reads stays narrow.
SELECT
    student_id,
    first_index,
    next_index,
    CAST((total >> 0) & 2047 AS INTEGER) AS unjustified_absences_2w,
    CAST((total >> 11) & 2047 AS INTEGER) AS unjustified_absences_4w,
    CAST((total >> 22) & 2047 AS INTEGER) AS unjustified_absences_8w,
    CAST((total >> 33) & 2047 AS INTEGER) AS unjustified_absences_ytd,
    CAST((total >> 44) & 2047 AS INTEGER) AS justified_absences_2w,
    CAST((total >> 55) & 2047 AS INTEGER) AS justified_absences_4w,
    CAST((total >> 66) & 2047 AS INTEGER) AS justified_absences_8w,
    CAST((total >> 77) & 2047 AS INTEGER) AS justified_absences_ytd,
    CAST((total >> 88) & 2047 AS INTEGER) AS lates_4w,
    CAST((total >> 99) & 2047 AS INTEGER) AS lates_ytd,
    CAST((total >> 110) & 2047 AS INTEGER) AS absenteeism_months_ytd
FROM (
    SELECT
        student_id,
        as_of_index AS first_index,
        coalesce(lead(as_of_index) OVER per_student, $as_of_count + 1) AS next_index,
        sum(change) OVER (per_student ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            AS total
    FROM attendance_changes
    WINDOW per_student AS (PARTITION BY student_id ORDER BY as_of_index)
)
