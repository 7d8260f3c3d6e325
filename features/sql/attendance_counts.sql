-- Absent half-days and late arrivals in each window, and absenteeism months, of each roster
-- row: the running totals spread over the as-of dates they hold for (those of this query:
-- numbered $first_index to $last_index).
SELECT r.roster_id, c.* EXCLUDE (student_id, first_index, next_index, as_of_index)
FROM (
    SELECT
        *,
        unnest(range(greatest(first_index, $first_index), least(next_index, $last_index + 1)))
            AS as_of_index
    FROM attendance_running
    WHERE first_index <= $last_index AND next_index > $first_index
) AS c
JOIN roster AS r ON r.student_id = c.student_id AND r.as_of_index = c.as_of_index
