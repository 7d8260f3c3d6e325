-- `grade_recent` when the query has a single as-of date (numbered 1): every mark read is
-- before it (bucket 0) and in its 8-week window (`recent_marks` keeps only days in one), so
-- the count is the sum of the student's `recent_marks`, without running totals.
SELECT student_id, 1 AS as_of_index, CAST(sum(marks) AS INTEGER) AS assessments_8w
FROM recent_marks
WHERE bucket = 0
GROUP BY student_id
