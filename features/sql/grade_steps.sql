-- A student's grade statistics of each school year as a step function of the as-of date: the
-- running totals of `grade_changes` after each bucket with marks hold for the as-of dates
-- numbered bucket + 1 to `next_bucket` (the next bucket with marks that year, or the year's
-- last as-of date). Sums stay exact (decimals and integers), so they do not depend on how
-- DuckDB's threads split the rows.
SELECT
    student_id,
    year_start,
    bucket,
    coalesce(lead(bucket) OVER per_year, until_ytd) AS next_bucket,
    sum(weighted_marks) OVER so_far AS weighted_marks,
    sum(weights) OVER so_far AS weights,
    sum(weighted_marks_1) OVER so_far AS weighted_marks_1,
    sum(weights_1) OVER so_far AS weights_1,
    sum(weighted_marks_2) OVER so_far AS weighted_marks_2,
    sum(weights_2) OVER so_far AS weights_2,
    sum(weighted_marks_3) OVER so_far AS weighted_marks_3,
    sum(weights_3) OVER so_far AS weights_3,
    max(latest_period) OVER so_far AS latest_period,
    max(last_mark_date) OVER so_far AS last_mark_date,
    CAST(sum(subjects) OVER so_far AS BIGINT) AS subjects,
    sum(subject_units) OVER so_far AS subject_units,
    sum(subject_squares) OVER so_far AS subject_squares,
    CAST(sum(subjects_below_8) OVER so_far AS BIGINT) AS subjects_below_8,
    CAST(sum(subjects_below_10) OVER so_far AS BIGINT) AS subjects_below_10
FROM grade_changes
WINDOW
    per_year AS (PARTITION BY student_id, year_start ORDER BY bucket),
    so_far AS (
        PARTITION BY student_id, year_start ORDER BY bucket
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
