-- A student's grade statistics of each school year as a step function of the as-of date: the
-- running totals of `grade_changes` after each bucket with marks hold for the as-of dates
-- numbered bucket + 1 to `next_bucket` (the next bucket with marks that year, or the year's
-- last as-of date). Sums stay exact (decimals and integers), so they do not depend on how
-- DuckDB's threads split the rows. Each running sum costs a pass, so only what cannot be had
-- otherwise is summed: the year's sums are those of its periods (`grade_values`), the latest
-- period is the last one with a weight, the last mark is the step's own (a later bucket holds
-- later days), and the three subject counts travel packed in one integer (see below).
SELECT
    student_id,
    year_start,
    bucket,
    coalesce(lead(bucket) OVER per_year, until_ytd) AS next_bucket,
    sum(weighted_marks_1) OVER so_far AS weighted_marks_1,
    sum(weights_1) OVER so_far AS weights_1,
    sum(weighted_marks_2) OVER so_far AS weighted_marks_2,
    sum(weights_2) OVER so_far AS weights_2,
    sum(weighted_marks_3) OVER so_far AS weighted_marks_3,
    sum(weights_3) OVER so_far AS weights_3,
    last_mark_date,
    sum(subject_counts) OVER so_far AS subject_counts,
    sum(subject_units) OVER so_far AS subject_units,
    sum(subject_squares) OVER so_far AS subject_squares
FROM grade_changes
WINDOW
    per_year AS (PARTITION BY student_id, year_start ORDER BY bucket),
    so_far AS (
        PARTITION BY student_id, year_start ORDER BY bucket
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
