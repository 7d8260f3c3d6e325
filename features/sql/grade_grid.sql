-- Per student and as-of date (those of this query: numbered $first_index to $last_index), from
-- the step function of its school year (`grade_steps`): the year's mean, each period's mean,
-- the current period (the latest with a mark), subjects under the two thresholds, the spread
-- (population standard deviation) of subject means and the date of the last mark.
-- Each mean divides exact sums once; the spread comes from exact integer sums of the subject
-- means in units of 1e-12 and of their squares, as sqrt(n * sum(x^2) - sum(x)^2) / n, where
-- stddev_pop's floating-point running update would depend on the order of the rows.
SELECT
    s.student_id,
    a.as_of,
    CAST(s.weighted_marks AS DOUBLE) / CAST(nullif(s.weights, 0) AS DOUBLE) AS year_mean,
    CAST(s.weighted_marks_1 AS DOUBLE) / CAST(nullif(s.weights_1, 0) AS DOUBLE)
        AS period_mean_1,
    CAST(s.weighted_marks_2 AS DOUBLE) / CAST(nullif(s.weights_2, 0) AS DOUBLE)
        AS period_mean_2,
    CAST(s.weighted_marks_3 AS DOUBLE) / CAST(nullif(s.weights_3, 0) AS DOUBLE)
        AS period_mean_3,
    s.latest_period AS current_period,
    s.subjects_below_8 AS subjects_below_8_ytd,
    s.subjects_below_10 AS subjects_below_10_ytd,
    CASE WHEN s.subjects > 0 THEN
        sqrt(CAST(s.subjects * s.subject_squares - s.subject_units * s.subject_units AS DOUBLE))
            / (s.subjects * 1e12)
    END AS subject_mean_spread_ytd,
    s.last_mark_date
FROM (
    SELECT
        *,
        unnest(range(greatest(bucket + 1, $first_index), least(next_bucket, $last_index) + 1))
            AS as_of_index
    FROM grade_steps
    WHERE bucket < $last_index AND next_bucket >= $first_index
) AS s
JOIN vigie_as_of AS a ON a.as_of_index = s.as_of_index AND a.year_start = s.year_start
