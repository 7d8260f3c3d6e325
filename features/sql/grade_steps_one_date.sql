-- `grade_steps` when the query has a single as-of date: every mark before it is in bucket 0,
-- so the changes of that bucket are the totals, and they hold for that one date if it lies in
-- the marks' school year (until_ytd = 1).
SELECT
    * EXCLUDE (until_ytd, subjects, subjects_below_8, subjects_below_10),
    until_ytd AS next_bucket,
    CAST(subjects AS BIGINT) AS subjects,
    CAST(subjects_below_8 AS BIGINT) AS subjects_below_8,
    CAST(subjects_below_10 AS BIGINT) AS subjects_below_10
FROM grade_changes
