-- Longest run of absent class days this school year before the as-of date of each roster
-- row, from `streak_steps` (as-of dates of this query only).
SELECT r.roster_id, max(s.run_length) AS longest_absence_streak_ytd
FROM (
    SELECT
        student_id,
        unnest(range(greatest(first_index, $first_index), least(next_index, $last_index + 1)))
            AS as_of_index,
        run_length
    FROM streak_steps
    WHERE first_index <= $last_index AND next_index > $first_index
) AS s
JOIN roster AS r ON r.student_id = s.student_id AND r.as_of_index = s.as_of_index
GROUP BY r.roster_id
