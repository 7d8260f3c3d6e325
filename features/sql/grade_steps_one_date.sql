-- `grade_steps` when the query has a single as-of date: every mark before it is in bucket 0,
-- so the changes of that bucket are the totals, and they hold for that one date if it lies in
-- the marks' school year (until_ytd = 1).
SELECT
    student_id,
    year_start,
    bucket,
    until_ytd AS next_bucket,
    weighted_marks_1,
    weights_1,
    weighted_marks_2,
    weights_2,
    weighted_marks_3,
    weights_3,
    last_mark_date,
    subject_counts,
    subject_units,
    subject_squares
FROM grade_changes
