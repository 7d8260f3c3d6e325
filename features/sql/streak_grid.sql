-- Longest run of absent class days this school year of each student per as-of date (numbered
-- $first_index to $last_index): the maximum of the `streak_steps` rows holding the date.
SELECT student_id, as_of_index, max(run_length) AS longest_absence_streak_ytd
FROM (
    SELECT
        student_id,
        unnest(range(greatest(first_index, $first_index), least(next_index, $last_index + 1)))
            AS as_of_index,
        run_length
    FROM streak_steps
    WHERE first_index <= $last_index AND next_index > $first_index
)
GROUP BY student_id, as_of_index
