-- The grade figures each row of `grade_steps` gives the as-of dates it holds (numbered
-- bucket + 1 to next_bucket): the year's mean, each period's mean, the current period (the
-- latest with a mark), subjects under the two thresholds, the spread (population standard
-- deviation) of subject means and the date of the last mark. They depend on the step only, so
-- they are computed once per step, not once per as-of date, and the rows kept for the queries
-- are narrow (doubles rather than the 128-bit running sums).
-- Each mean divides exact sums once: the year's sums are those of its three periods (periods
-- are 1, 2 or 3 by contract; a period without marks has NULL sums, and a period has a mark
-- exactly when it has a weight, since coefficients are never NULL). The subject counts come
-- out of their packed fields (see `grade_changes`). The spread comes from exact integer sums of
-- the subject means in units of 1e-12 and of their squares, as
-- sqrt(n * sum(x^2) - sum(x)^2) / n, where stddev_pop's floating-point running update would
-- depend on the order of the rows.
SELECT
    student_id,
    year_start,
    bucket,
    next_bucket,
    CAST(
        coalesce(weighted_marks_1, 0) + coalesce(weighted_marks_2, 0)
            + coalesce(weighted_marks_3, 0) AS DOUBLE
    ) / CAST(
        nullif(coalesce(weights_1, 0) + coalesce(weights_2, 0) + coalesce(weights_3, 0), 0)
            AS DOUBLE
    ) AS year_mean,
    CAST(weighted_marks_1 AS DOUBLE) / CAST(nullif(weights_1, 0) AS DOUBLE) AS period_mean_1,
    CAST(weighted_marks_2 AS DOUBLE) / CAST(nullif(weights_2, 0) AS DOUBLE) AS period_mean_2,
    CAST(weighted_marks_3 AS DOUBLE) / CAST(nullif(weights_3, 0) AS DOUBLE) AS period_mean_3,
    CASE
        WHEN weights_3 IS NOT NULL THEN 3 WHEN weights_2 IS NOT NULL THEN 2
        WHEN weights_1 IS NOT NULL THEN 1
    END AS current_period,
    CAST((subject_counts >> 42) & ((CAST(1 AS HUGEINT) << 42) - 1) AS BIGINT)
        AS subjects_below_8_ytd,
    CAST((subject_counts >> 84) AS BIGINT) AS subjects_below_10_ytd,
    CASE WHEN subjects > 0 THEN
        sqrt(CAST(subjects * subject_squares - subject_units * subject_units AS DOUBLE))
            / (subjects * 1e12)
    END AS subject_mean_spread_ytd,
    last_mark_date
FROM (
    SELECT *, CAST(subject_counts & ((CAST(1 AS HUGEINT) << 42) - 1) AS BIGINT) AS subjects
    FROM grade_steps
)
