-- `grade_bucket_marks` of a single as-of date from last week's
-- (`vigie_kept_grade_bucket_marks`, the same date's school year) and the new week's marks
-- (`grade_bucket_marks` over the marks dated from last week's as-of date on), each with a key
-- once: the exact sums of both per period, as one sum over both weeks' marks would give them
-- (NULL only where both are), and the later last mark.
SELECT
    coalesce(k.student_id, n.student_id) AS student_id,
    coalesce(k.year_start, n.year_start) AS year_start,
    coalesce(k.bucket, n.bucket) AS bucket,
    coalesce(k.until_ytd, n.until_ytd) AS until_ytd,
    CASE
        WHEN n.weighted_marks_1 IS NULL THEN k.weighted_marks_1
        WHEN k.weighted_marks_1 IS NULL THEN n.weighted_marks_1
        ELSE k.weighted_marks_1 + n.weighted_marks_1
    END AS weighted_marks_1,
    CASE
        WHEN n.weights_1 IS NULL THEN k.weights_1
        WHEN k.weights_1 IS NULL THEN n.weights_1
        ELSE k.weights_1 + n.weights_1
    END AS weights_1,
    CASE
        WHEN n.weighted_marks_2 IS NULL THEN k.weighted_marks_2
        WHEN k.weighted_marks_2 IS NULL THEN n.weighted_marks_2
        ELSE k.weighted_marks_2 + n.weighted_marks_2
    END AS weighted_marks_2,
    CASE
        WHEN n.weights_2 IS NULL THEN k.weights_2
        WHEN k.weights_2 IS NULL THEN n.weights_2
        ELSE k.weights_2 + n.weights_2
    END AS weights_2,
    CASE
        WHEN n.weighted_marks_3 IS NULL THEN k.weighted_marks_3
        WHEN k.weighted_marks_3 IS NULL THEN n.weighted_marks_3
        ELSE k.weighted_marks_3 + n.weighted_marks_3
    END AS weighted_marks_3,
    CASE
        WHEN n.weights_3 IS NULL THEN k.weights_3
        WHEN k.weights_3 IS NULL THEN n.weights_3
        ELSE k.weights_3 + n.weights_3
    END AS weights_3,
    greatest(k.last_mark_date, n.last_mark_date) AS last_mark_date
FROM vigie_kept_grade_bucket_marks AS k
FULL OUTER JOIN grade_bucket_marks AS n
    ON n.student_id = k.student_id AND n.year_start = k.year_start AND n.bucket = k.bucket
        AND n.until_ytd = k.until_ytd
