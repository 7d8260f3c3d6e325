-- Per student and as-of date of the same school year: the year's mean, each period's mean,
-- the current period (the latest with a mark), subjects under the two thresholds (subject
-- means rounded to $comparison_decimals first, so that a mean of exactly 8 is never under 8
-- by floating-point noise), the spread (population standard deviation) of subject means and
-- the date of the last mark. Each subject's running sums are spread over the as-of dates
-- they hold for (those of this query: numbered $first_index to $last_index), then summed
-- over subjects.
-- Nothing here depends on the order in which DuckDB's parallel aggregate meets the subjects:
-- the sums are exact (DECIMAL, see `grade_marks`) and each mean divides them once; the spread
-- comes from exact integer sums of the subject means in units of 1e-12 (`subject_units`)
-- and of their squares,
-- as sqrt(n * sum(x^2) - sum(x)^2) / n, where stddev_pop's floating-point running update
-- would depend on that order.
SELECT
    s.student_id,
    a.as_of,
    CAST(sum(s.weighted_marks) AS DOUBLE) / CAST(nullif(sum(s.weights), 0) AS DOUBLE)
        AS year_mean,
    CAST(sum(s.weighted_marks_1) AS DOUBLE) / CAST(nullif(sum(s.weights_1), 0) AS DOUBLE)
        AS period_mean_1,
    CAST(sum(s.weighted_marks_2) AS DOUBLE) / CAST(nullif(sum(s.weights_2), 0) AS DOUBLE)
        AS period_mean_2,
    CAST(sum(s.weighted_marks_3) AS DOUBLE) / CAST(nullif(sum(s.weights_3), 0) AS DOUBLE)
        AS period_mean_3,
    max(s.latest_period) AS current_period,
    count(*) FILTER (
        WHERE round(s.subject_mean, $comparison_decimals) < $low_grade
    ) AS subjects_below_8_ytd,
    count(*) FILTER (
        WHERE round(s.subject_mean, $comparison_decimals) < $under_average_grade
    ) AS subjects_below_10_ytd,
    sqrt(CAST(
        count(s.subject_units) * sum(s.subject_squares)
            - sum(s.subject_units) * sum(s.subject_units)
        AS DOUBLE
    )) / (count(s.subject_units) * 1e12) AS subject_mean_spread_ytd,
    max(s.last_mark_date) AS last_mark_date
FROM (
    -- Subject means and their units once per running-sum row, before they are spread over
    -- the as-of dates.
    SELECT
        *,
        CAST(subject_units AS HUGEINT) * subject_units AS subject_squares,
        unnest(range(greatest(bucket + 1, $first_index), least(next_bucket, $last_index) + 1))
            AS as_of_index
    FROM (
        SELECT *, CAST(round(subject_mean * 1e12) AS BIGINT) AS subject_units
        FROM (
            SELECT
                *,
                CAST(weighted_marks AS DOUBLE) / CAST(nullif(weights, 0) AS DOUBLE)
                    AS subject_mean
            FROM grade_running
        )
    )
) AS s
JOIN vigie_as_of AS a ON a.as_of_index = s.as_of_index AND a.year_start = s.year_start
GROUP BY s.student_id, a.as_of
