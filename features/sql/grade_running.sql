-- Each subject's mean so far within the school year, after each bucket with marks in it
-- (`subject_mean`) and before it (`previous_mean`, NULL for the subject's first bucket). The
-- means divide exact sums (DECIMAL, see `grade_rows`) once, so a mean is the same double
-- whichever as-of dates are computed together.
SELECT
    student_id,
    year_start,
    bucket,
    CAST(sum(weighted_marks) OVER so_far AS DOUBLE)
        / CAST(nullif(sum(weights) OVER so_far, 0) AS DOUBLE) AS subject_mean,
    CAST(sum(weighted_marks) OVER before AS DOUBLE)
        / CAST(nullif(sum(weights) OVER before, 0) AS DOUBLE) AS previous_mean
FROM grade_marks
WINDOW
    so_far AS (
        PARTITION BY student_id, subject, year_start ORDER BY bucket
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ),
    before AS (
        PARTITION BY student_id, subject, year_start ORDER BY bucket
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    )
