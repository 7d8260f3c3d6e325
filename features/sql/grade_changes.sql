-- What each bucket with marks changes in a student's grade statistics of its school year: the
-- sums of the bucket's marks per period (`grade_bucket_marks`) and its last mark's date, and
-- how the subjects' means moved (`grade_running`): the sums of subject means in units of 1e-12
-- and of their squares (exact integers), and three counts: the subjects with a mean, and
-- those under the two thresholds (subject means rounded to $comparison_decimals first, so that
-- a mean of exactly 8 is never under 8 by floating-point noise). Running totals of these
-- changes (`grade_steps`) give each as-of date's figures without going back to the subjects.
-- Both sides have one row per student, school year and bucket with marks.
-- The three counts travel packed in one exact integer (HUGEINT), 42 bits each (subjects,
-- under 8 << 42, under 10 << 84), so that one running sum carries them: the sum of packed
-- changes is the packed sum of the changes, and no field spills into the next while a running
-- count, a number of subjects of one student and year, stays under 2^42 (4.4 * 10^12), more
-- subjects than marks any extraction can hold. `grade_values` takes them apart.
SELECT
    m.student_id,
    m.year_start,
    m.bucket,
    m.until_ytd,
    m.weighted_marks_1,
    m.weights_1,
    m.weighted_marks_2,
    m.weights_2,
    m.weighted_marks_3,
    m.weights_3,
    m.last_mark_date,
    s.subject_counts,
    s.subject_units,
    s.subject_squares
FROM grade_bucket_marks AS m
JOIN (
    SELECT
        student_id,
        year_start,
        bucket,
        sum(
            CAST(units IS NOT NULL AS HUGEINT) + (CAST(below_8 AS HUGEINT) << 42)
                + (CAST(below_10 AS HUGEINT) << 84)
            - CAST(previous_units IS NOT NULL AS HUGEINT)
                - (CAST(previously_below_8 AS HUGEINT) << 42)
                - (CAST(previously_below_10 AS HUGEINT) << 84)
        ) AS subject_counts,
        sum(coalesce(units, 0) - coalesce(previous_units, 0)) AS subject_units,
        sum(
            coalesce(CAST(units AS HUGEINT) * units, 0)
                - coalesce(CAST(previous_units AS HUGEINT) * previous_units, 0)
        ) AS subject_squares
    FROM (
        SELECT
            CAST(round(subject_mean * 1e12) AS BIGINT) AS units,
            CAST(round(previous_mean * 1e12) AS BIGINT) AS previous_units,
            coalesce(round(subject_mean, $comparison_decimals) < $low_grade, false) AS below_8,
            coalesce(round(previous_mean, $comparison_decimals) < $low_grade, false)
                AS previously_below_8,
            coalesce(round(subject_mean, $comparison_decimals) < $under_average_grade, false)
                AS below_10,
            coalesce(round(previous_mean, $comparison_decimals) < $under_average_grade, false)
                AS previously_below_10,
            student_id,
            year_start,
            bucket
        FROM grade_running
    )
    GROUP BY student_id, year_start, bucket
) AS s USING (student_id, year_start, bucket)
