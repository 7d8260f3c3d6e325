-- `grade_running` when the query has a single as-of date: every mark before it is in bucket 0,
-- so each subject's sums so far are its sums, and they hold for that one date.
SELECT *, $as_of_count AS next_bucket
FROM grade_marks
