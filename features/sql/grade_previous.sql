-- Each student's overall mean on /20 over a whole school year (used for the previous year,
-- which lies entirely before the as-of dates that compare with it), from exact sums: those of
-- the three periods (see `grade_bucket_marks`).
SELECT
    student_id,
    year_start,
    CAST(
        sum(
            coalesce(weighted_marks_1, 0) + coalesce(weighted_marks_2, 0)
                + coalesce(weighted_marks_3, 0)
        ) AS DOUBLE
    ) / CAST(
        nullif(sum(coalesce(weights_1, 0) + coalesce(weights_2, 0) + coalesce(weights_3, 0)), 0)
            AS DOUBLE
    ) AS year_mean
FROM grade_bucket_marks
GROUP BY student_id, year_start
