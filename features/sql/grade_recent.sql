-- Marks of the last 8 weeks per student and as-of date: a mark counts for the as-of dates
-- numbered bucket + 1 to recent_until.
SELECT student_id, a.as_of, sum(marks) AS assessments_8w
FROM (
    SELECT student_id, marks, unnest(range(bucket + 1, recent_until + 1)) AS as_of_index
    FROM grade_marks
    WHERE NOT per_subject
) AS m
JOIN vigie_as_of AS a ON a.as_of_index = m.as_of_index
GROUP BY student_id, a.as_of
