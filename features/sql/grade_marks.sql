-- Usable marks summed per student, subject, school year and `bucket` (see `grade_rows`): only
-- the two exact sums each subject's mean needs, so that the window of `grade_running` sorts
-- narrow rows. Marks that count for no as-of date (bucket = until_ytd: those of an earlier
-- school year, read for its overall mean in `grade_previous`) are left out: the subject means
-- and the steps they feed hold only for the as-of dates of the marks' own school year.
SELECT
    student_id,
    subject,
    year_start,
    bucket,
    until_ytd,
    sum(weighted_mark) AS weighted_marks,
    sum(coefficient) AS weights
FROM grade_rows
WHERE bucket < until_ytd
GROUP BY student_id, subject, year_start, bucket, until_ytd
