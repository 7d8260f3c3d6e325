-- Absent half-days and late arrivals in each window, and absenteeism months, of each roster
-- row (as-of dates of this query: numbered $first_index to $last_index).
SELECT r.roster_id, c.* EXCLUDE (student_id, as_of_index)
FROM attendance_grid AS c
JOIN roster AS r ON r.student_id = c.student_id AND r.as_of_index = c.as_of_index
WHERE c.as_of_index BETWEEN $first_index AND $last_index
