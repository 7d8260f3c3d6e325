-- Marks of the last 8 weeks per student and as-of date of this query.
SELECT
    student_id,
    unnest(range(greatest(first_index, $first_index), least(next_index, $last_index + 1)))
        AS as_of_index,
    assessments_8w
FROM recent_running
