-- Marks of the last 8 weeks per student and as-of date of this query (numbered $first_index
-- to $last_index; steps holding none of them are left out before they are spread).
SELECT
    student_id,
    unnest(range(greatest(first_index, $first_index), least(next_index, $last_index + 1)))
        AS as_of_index,
    assessments_8w
FROM recent_running
WHERE first_index <= $last_index AND next_index > $first_index
