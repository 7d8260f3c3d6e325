-- Usable marks summed per student, school year and `bucket` (see `grade_rows`), all subjects
-- together: exact sums per period (the year's are their total: periods are 1, 2 or 3 by
-- contract) and the last mark's date.
SELECT
    student_id,
    year_start,
    bucket,
    until_ytd,
    sum(weighted_mark) FILTER (WHERE period = 1) AS weighted_marks_1,
    sum(coefficient) FILTER (WHERE period = 1) AS weights_1,
    sum(weighted_mark) FILTER (WHERE period = 2) AS weighted_marks_2,
    sum(coefficient) FILTER (WHERE period = 2) AS weights_2,
    sum(weighted_mark) FILTER (WHERE period = 3) AS weighted_marks_3,
    sum(coefficient) FILTER (WHERE period = 3) AS weights_3,
    max(date) AS last_mark_date
FROM grade_rows
GROUP BY student_id, year_start, bucket, until_ytd
