-- `grade_bucket_marks` of a single as-of date from last week's
-- (`vigie_kept_grade_bucket_marks`, the same date's school year) and the new week's marks
-- (`grade_bucket_marks` over the marks dated from last week's as-of date on), each with a key
-- once: the exact sums of both per period, as one sum over both weeks' marks would give them
-- (NULL only where both are: `k + n`, else the one that is not NULL), and the later last
-- mark (`greatest` leaves NULLs out).
SELECT
    coalesce(k.student_id, n.student_id) AS student_id,
    coalesce(k.year_start, n.year_start) AS year_start,
    coalesce(k.bucket, n.bucket) AS bucket,
    coalesce(k.until_ytd, n.until_ytd) AS until_ytd,
    coalesce(k.weighted_marks_1 + n.weighted_marks_1, k.weighted_marks_1, n.weighted_marks_1)
        AS weighted_marks_1,
    coalesce(k.weights_1 + n.weights_1, k.weights_1, n.weights_1) AS weights_1,
    coalesce(k.weighted_marks_2 + n.weighted_marks_2, k.weighted_marks_2, n.weighted_marks_2)
        AS weighted_marks_2,
    coalesce(k.weights_2 + n.weights_2, k.weights_2, n.weights_2) AS weights_2,
    coalesce(k.weighted_marks_3 + n.weighted_marks_3, k.weighted_marks_3, n.weighted_marks_3)
        AS weighted_marks_3,
    coalesce(k.weights_3 + n.weights_3, k.weights_3, n.weights_3) AS weights_3,
    greatest(k.last_mark_date, n.last_mark_date) AS last_mark_date
FROM vigie_kept_grade_bucket_marks AS k
FULL OUTER JOIN grade_bucket_marks AS n
    ON n.student_id = k.student_id AND n.year_start = k.year_start AND n.bucket = k.bucket
        AND n.until_ytd = k.until_ytd
