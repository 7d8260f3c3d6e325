-- Each subject's sums so far within the school year, after each bucket with marks, and the
-- as-of dates they hold for: those numbered bucket + 1 to `next_bucket` (the next bucket with
-- a mark in that subject, or the last as-of date).
SELECT
    student_id,
    subject,
    year_start,
    bucket,
    coalesce(lead(bucket) OVER subject_year, $as_of_count) AS next_bucket,
    sum(weighted_marks) OVER so_far AS weighted_marks,
    sum(weights) OVER so_far AS weights,
    sum(weighted_marks_1) OVER so_far AS weighted_marks_1,
    sum(weights_1) OVER so_far AS weights_1,
    sum(weighted_marks_2) OVER so_far AS weighted_marks_2,
    sum(weights_2) OVER so_far AS weights_2,
    sum(weighted_marks_3) OVER so_far AS weighted_marks_3,
    sum(weights_3) OVER so_far AS weights_3,
    max(latest_period) OVER so_far AS latest_period,
    max(last_mark_date) OVER so_far AS last_mark_date
FROM grade_marks
WINDOW
    subject_year AS (PARTITION BY student_id, subject, year_start ORDER BY bucket),
    so_far AS (
        PARTITION BY student_id, subject, year_start ORDER BY bucket
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
