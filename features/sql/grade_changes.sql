-- What each bucket with marks changes in a student's grade statistics of its school year: the
-- sums of the bucket's marks (all subjects, overall and per period: `grade_bucket_marks`), and
-- how the subjects' means moved (`grade_running`): the number of subjects with a mean, the sums
-- of subject means in units of 1e-12 and of their squares (exact integers), and the subjects
-- under the two thresholds (subject means rounded to $comparison_decimals first, so that a mean
-- of exactly 8 is never under 8 by floating-point noise). Running totals of these changes
-- (`grade_steps`) give each as-of date's figures without going back to the subjects. Both
-- sides have one row per student, school year and bucket with marks.
SELECT
    m.*,
    s.* EXCLUDE (student_id, year_start, bucket)
FROM grade_bucket_marks AS m
JOIN (
    SELECT
        student_id,
        year_start,
        bucket,
        sum(CAST(units IS NOT NULL AS INTEGER) - CAST(previous_units IS NOT NULL AS INTEGER))
            AS subjects,
        sum(coalesce(units, 0) - coalesce(previous_units, 0)) AS subject_units,
        sum(
            coalesce(CAST(units AS HUGEINT) * units, 0)
                - coalesce(CAST(previous_units AS HUGEINT) * previous_units, 0)
        ) AS subject_squares,
        sum(
            CAST(coalesce(round(subject_mean, $comparison_decimals) < $low_grade, false)
                AS INTEGER)
                - CAST(coalesce(round(previous_mean, $comparison_decimals) < $low_grade, false)
                    AS INTEGER)
        ) AS subjects_below_8,
        sum(
            CAST(coalesce(round(subject_mean, $comparison_decimals) < $under_average_grade,
                false) AS INTEGER)
                - CAST(coalesce(round(previous_mean, $comparison_decimals) < $under_average_grade,
                    false) AS INTEGER)
        ) AS subjects_below_10
    FROM (
        SELECT
            *,
            CAST(round(subject_mean * 1e12) AS BIGINT) AS units,
            CAST(round(previous_mean * 1e12) AS BIGINT) AS previous_units
        FROM grade_running
    )
    GROUP BY student_id, year_start, bucket
) AS s USING (student_id, year_start, bucket)
