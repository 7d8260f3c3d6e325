-- `streak_grid` when the query has a single as-of date (numbered 1): every run read ended
-- before it (bucket 0 of its last day), so none is cut at the date, and a run counts in full
-- when its school year reaches the date (until_ytd of 1): the longest of those runs.
SELECT u.student_id, 1 AS as_of_index, max(u.run_length) AS longest_absence_streak_ytd
FROM absence_runs AS u
JOIN vigie_days AS v ON v.day = u.last_day
WHERE v.bucket = 0 AND v.until_ytd >= 1
GROUP BY u.student_id
