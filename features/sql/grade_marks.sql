-- Usable marks summed per student, subject, school year and `bucket` (see `grade_rows`): only
-- the two exact sums each subject's mean needs, so that the window of `grade_running` sorts
-- narrow rows.
SELECT
    student_id,
    subject,
    year_start,
    bucket,
    until_ytd,
    sum(weighted_mark) AS weighted_marks,
    sum(coefficient) AS weights
FROM grade_rows
GROUP BY student_id, subject, year_start, bucket, until_ytd
