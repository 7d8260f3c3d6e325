-- Per student and as-of date of the same school year: the year's mean, each period's mean,
-- the current period (the latest with a mark), subjects under the two thresholds (subject
-- means rounded to $comparison_decimals first, so that a mean of exactly 8 is never under 8
-- by floating-point noise), the spread (population standard deviation) of subject means and
-- the date of the last mark. Each subject's running sums are spread over the as-of dates
-- they hold for (those of this query: numbered $first_index to $last_index), then summed
-- over subjects.
SELECT
    s.student_id,
    a.as_of,
    sum(s.weighted_marks) / nullif(sum(s.weights), 0) AS year_mean,
    sum(s.weighted_marks_1) / nullif(sum(s.weights_1), 0) AS period_mean_1,
    sum(s.weighted_marks_2) / nullif(sum(s.weights_2), 0) AS period_mean_2,
    sum(s.weighted_marks_3) / nullif(sum(s.weights_3), 0) AS period_mean_3,
    max(s.latest_period) AS current_period,
    count(*) FILTER (
        WHERE round(s.weighted_marks / nullif(s.weights, 0), $comparison_decimals) < $low_grade
    ) AS subjects_below_8_ytd,
    count(*) FILTER (
        WHERE round(s.weighted_marks / nullif(s.weights, 0), $comparison_decimals)
            < $under_average_grade
    ) AS subjects_below_10_ytd,
    stddev_pop(s.weighted_marks / nullif(s.weights, 0)) AS subject_mean_spread_ytd,
    max(s.last_mark_date) AS last_mark_date
FROM (
    SELECT
        *,
        unnest(range(greatest(bucket + 1, $first_index), least(next_bucket, $last_index) + 1))
            AS as_of_index
    FROM grade_running
) AS s
JOIN vigie_as_of AS a ON a.as_of_index = s.as_of_index AND a.year_start = s.year_start
GROUP BY s.student_id, a.as_of
