-- For `absence_runs_merged`: the attendance days of the students of `vigie_run_tails` from
-- the day their runs are found again.
SELECT d.*
FROM temp.main.attendance_days AS d
JOIN vigie_run_tails AS t ON t.student_id = d.student_id
WHERE d.date >= t.from_day
