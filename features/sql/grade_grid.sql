-- Per student and as-of date (those of this query: numbered $first_index to $last_index), the
-- grade figures of the step of its school year that holds the date (`grade_values`).
SELECT
    s.student_id,
    a.as_of,
    s.as_of_index,
    s.* EXCLUDE (student_id, year_start, bucket, next_bucket, as_of_index)
FROM (
    SELECT
        *,
        unnest(range(greatest(bucket + 1, $first_index), least(next_bucket, $last_index) + 1))
            AS as_of_index
    FROM grade_values
    WHERE bucket < $last_index AND next_bucket >= $first_index
) AS s
JOIN vigie_as_of AS a ON a.as_of_index = s.as_of_index AND a.year_start = s.year_start
