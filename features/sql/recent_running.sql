-- Marks of the last 8 weeks per student as a step function of the as-of date. Each range of
-- `recent_marks` adds its count at its first as-of date and takes it away after its last;
-- running totals in as-of order hold from first_index to next_index - 1.
SELECT
    student_id,
    as_of_index AS first_index,
    coalesce(lead(as_of_index) OVER per_student, $as_of_count + 1) AS next_index,
    CAST(sum(marks) OVER (per_student ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        AS INTEGER) AS assessments_8w
FROM (
    SELECT student_id, as_of_index, sum(marks) AS marks
    FROM (
        SELECT student_id, bucket + 1 AS as_of_index, marks FROM recent_marks
        UNION ALL
        SELECT student_id, until_8w + 1, -marks FROM recent_marks
    )
    WHERE as_of_index <= $as_of_count
    GROUP BY student_id, as_of_index
)
WINDOW per_student AS (PARTITION BY student_id ORDER BY as_of_index)
