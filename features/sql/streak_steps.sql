-- The longest run of absent class days this school year, as a step function of the as-of
-- date per student: rows (first_index, next_index, run_length) whose maximum over the rows
-- holding an as-of date is that date's longest run. A run counts in full for the as-of dates
-- after its last day, to the end of its school year (a running maximum over the runs ordered
-- by the as-of date they complete before), and cut at the as-of date for those inside it
-- (the class days of the run before the as-of date).
SELECT
    student_id,
    first_index,
    coalesce(lead(first_index) OVER per_year, until_ytd + 1) AS next_index,
    max(run_length) OVER (per_year ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        AS run_length
FROM (
    SELECT u.student_id, v.year_start, v.bucket + 1 AS first_index, v.until_ytd,
        max(u.run_length) AS run_length
    FROM absence_runs AS u
    JOIN vigie_days AS v ON v.day = u.last_day
    GROUP BY ALL
)
WINDOW per_year AS (PARTITION BY student_id, year_start ORDER BY first_index)
UNION ALL
SELECT p.student_id, p.as_of_index, p.as_of_index + 1,
    n.last_class_day_number - p.first_number + 1
FROM (
    SELECT u.student_id, u.first_number, unnest(range(f.bucket + 1, l.bucket + 1)) AS as_of_index
    FROM absence_runs AS u
    JOIN vigie_days AS f ON f.day = u.first_day
    JOIN vigie_days AS l ON l.day = u.last_day
) AS p
JOIN as_of_class_days AS n ON n.as_of_index = p.as_of_index
