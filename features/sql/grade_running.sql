-- Each subject's mean so far within the school year, after each bucket with marks in it
-- (`subject_mean`) and before it (`previous_mean`, NULL for the subject's first bucket). The
-- means divide exact sums (DECIMAL, see `grade_rows`) once, so a mean is the same double
-- whichever as-of dates are computed together. The sums before a bucket are the sums so far
-- less the bucket's own, exactly (decimals; coefficients are never NULL, the contract's default
-- fills them): for a subject's first bucket their weight is 0, so its mean is NULL, as for
-- a subject whose earlier marks all weigh 0.
SELECT
    student_id,
    year_start,
    bucket,
    CAST(marks_so_far AS DOUBLE) / CAST(nullif(weights_so_far, 0) AS DOUBLE) AS subject_mean,
    CAST(marks_so_far - weighted_marks AS DOUBLE)
        / CAST(nullif(weights_so_far - weights, 0) AS DOUBLE) AS previous_mean
FROM (
    SELECT
        *,
        sum(weighted_marks) OVER so_far AS marks_so_far,
        sum(weights) OVER so_far AS weights_so_far
    FROM grade_marks
    WINDOW so_far AS (
        PARTITION BY student_id, subject, year_start ORDER BY bucket
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
)
