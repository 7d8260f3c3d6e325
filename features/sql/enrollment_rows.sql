-- Enrollments that started on or before the last as-of date, read once for the roster and the
-- path features.
SELECT student_id, school_year, uai, level, track, class_id, start_date, end_date
FROM enrollments
WHERE start_date <= $last_as_of
