-- `path_versions` of a single as-of date from last week's (`vigie_kept_path_versions`, of
-- the date $kept_as_of) and the paths made again of the students whose path may differ
-- (`path_versions` over their enrollment rows only, read by the CTEs `enrollment_rows` and
-- `path_years` of this statement). A student's path is a function of their enrollments that
-- started on or before the date: it is last week's unless their `students` or `enrollments`
-- rows changed since (`vigie_changed_students`, from the weekly validation's per-student
-- fingerprints: their rows added, altered or removed) or one of their enrollments started
-- after last week's date and by this one. A student kept last week whose enrollments are
-- gone is among the changed ones, and has no path made again.
SELECT k.*
FROM vigie_kept_path_versions AS k
LEFT JOIN vigie_path_students AS s ON s.student_id = k.student_id
WHERE s.student_id IS NULL
UNION ALL
SELECT * FROM path_versions
