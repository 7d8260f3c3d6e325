-- Each student's overall mean on /20 over a whole school year (used for the previous year,
-- which lies entirely before the as-of dates that compare with it), from exact sums.
SELECT
    student_id,
    year_start,
    CAST(sum(weighted_marks) AS DOUBLE) / CAST(nullif(sum(weights), 0) AS DOUBLE) AS year_mean
FROM grade_bucket_marks
GROUP BY student_id, year_start
