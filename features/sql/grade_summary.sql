-- Per target: the school-year mean, the mean of each period, the current period (the latest
-- with a mark this year), subjects under the two thresholds (subject means rounded to
-- $comparison_decimals first, so that a mean of exactly 8 is never under 8 by floating-point
-- noise), the spread (population standard deviation) of subject means, marks of the last
-- 8 weeks and the date of the last mark.
SELECT
    target_id,
    sum(weighted_marks) / nullif(sum(weights), 0) AS year_mean,
    sum(weighted_marks_1) / nullif(sum(weights_1), 0) AS period_mean_1,
    sum(weighted_marks_2) / nullif(sum(weights_2), 0) AS period_mean_2,
    sum(weighted_marks_3) / nullif(sum(weights_3), 0) AS period_mean_3,
    max(latest_period) AS current_period,
    count(*) FILTER (
        WHERE round(weighted_marks / nullif(weights, 0), $comparison_decimals) < $low_grade
    ) AS subjects_below_8_ytd,
    count(*) FILTER (
        WHERE round(weighted_marks / nullif(weights, 0), $comparison_decimals)
            < $under_average_grade
    ) AS subjects_below_10_ytd,
    stddev_pop(weighted_marks / nullif(weights, 0)) AS subject_mean_spread_ytd,
    sum(assessments_8w) AS assessments_8w,
    max(last_mark_date) AS last_mark_date
FROM grade_subjects
GROUP BY target_id
