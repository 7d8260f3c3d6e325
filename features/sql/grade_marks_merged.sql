-- `grade_marks` of a single as-of date from last week's (`vigie_kept_grade_marks`, the same
-- date's school year) and the new week's marks (`grade_marks` over the marks dated from last
-- week's as-of date on), each with a key once: the exact sums of both per key, as one sum over
-- both weeks' marks would give them (NULL only where both are: `k + n`, else the one that is
-- not NULL). Every mark before either date is in bucket 0 and counts for the date (until_ytd
-- 1) in both weeks alike.
SELECT
    coalesce(k.student_id, n.student_id) AS student_id,
    coalesce(k.subject, n.subject) AS subject,
    coalesce(k.year_start, n.year_start) AS year_start,
    coalesce(k.bucket, n.bucket) AS bucket,
    coalesce(k.until_ytd, n.until_ytd) AS until_ytd,
    coalesce(k.weighted_marks + n.weighted_marks, k.weighted_marks, n.weighted_marks)
        AS weighted_marks,
    coalesce(k.weights + n.weights, k.weights, n.weights) AS weights
FROM vigie_kept_grade_marks AS k
FULL OUTER JOIN grade_marks AS n
    ON n.student_id = k.student_id AND n.subject = k.subject AND n.year_start = k.year_start
        AND n.bucket = k.bucket AND n.until_ytd = k.until_ytd
