-- For `absence_runs_merged`: each student with an absent class day dated from last week's
-- as-of date ($kept_as_of) on, and the day from which their runs are found again: the first
-- day of the last run kept from last week (`vigie_kept_absence_runs`) of each school year
-- with such a day ($kept_as_of for a year without a kept run), the earliest of those. No run
-- holds days on both sides of that day: it is a run's first day or $kept_as_of, after every
-- kept run, and the runs of another school year lie wholly before or after it. The
-- attendance days are the week's table, named in full since the query shadows it.
SELECT student_id, min(coalesce(from_day, $kept_as_of)) AS from_day
FROM (
    SELECT n.student_id, n.year_start, max(k.first_day) AS from_day
    FROM (
        SELECT DISTINCT d.student_id, v.year_start
        FROM temp.main.attendance_days AS d
        JOIN vigie_class_days AS c ON c.day = d.date
        JOIN vigie_days AS v ON v.day = d.date
        WHERE d.date >= $kept_as_of AND d.unjustified + d.justified > 0
    ) AS n
    LEFT JOIN vigie_kept_absence_runs AS k
        ON k.student_id = n.student_id AND k.year_start = n.year_start
    GROUP BY ALL
)
GROUP BY student_id
