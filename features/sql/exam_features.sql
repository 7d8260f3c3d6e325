-- Exams before the as-of date: failures and absences (all time), failed mock exams this year,
-- and weeks since the last failure (NULL if none).
SELECT
    r.roster_id,
    count(*) FILTER (WHERE x.result = 'fail') AS failed_exams,
    count(*) FILTER (WHERE x.result = 'absent') AS missed_exams,
    count(*) FILTER (WHERE x.result = 'fail' AND x.exam = 'mock' AND x.date >= a.year_start)
        AS failed_mock_exams_ytd,
    (any_value(r.as_of) - max(x.date) FILTER (WHERE x.result = 'fail')) / 7.0
        AS weeks_since_last_failed_exam
FROM roster AS r
JOIN vigie_as_of AS a ON a.as_of = r.as_of
JOIN exams AS x ON x.student_id = r.student_id AND x.date < r.as_of
GROUP BY r.roster_id
