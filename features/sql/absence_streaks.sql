-- Longest run of absent class days this school year before the as-of date of each roster
-- row (as-of dates of this query: numbered $first_index to $last_index).
SELECT r.roster_id, s.longest_absence_streak_ytd
FROM streak_grid AS s
JOIN roster AS r ON r.student_id = s.student_id AND r.as_of_index = s.as_of_index
WHERE s.as_of_index BETWEEN $first_index AND $last_index
