-- For each enrolled student and as-of date (those of this query: numbered $first_index to
-- $last_index), the version of the student's path that holds for it (`path_versions`: the
-- latest started on or before the date; the roster's own enrollment has started, so there is
-- one).
SELECT r.roster_id, p.repeated_years, p.school_changes
FROM roster AS r
JOIN path_versions AS p
    ON p.student_id = r.student_id
    AND r.as_of_index >= p.first_index
    AND r.as_of_index < p.next_index
WHERE p.first_index <= $last_index AND p.next_index > $first_index
