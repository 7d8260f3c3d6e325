-- `grade_running` when the query has a single as-of date: every mark before it is in bucket 0,
-- so each subject's mean so far is the mean of its sums, and there is no mean before.
SELECT
    student_id,
    year_start,
    bucket,
    CAST(weighted_marks AS DOUBLE) / CAST(nullif(weights, 0) AS DOUBLE) AS subject_mean,
    CAST(NULL AS DOUBLE) AS previous_mean
FROM grade_marks
