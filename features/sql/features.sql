-- The final frame: per-student features plus the two that compare a student with peers
-- enrolled on the same as-of date (establishment absence rate, marks against the class median).
SELECT
    *,
    avg(unjustified_absence_rate_4w) OVER (PARTITION BY uai, as_of)
        AS establishment_unjustified_absence_rate_4w,
    assessments_8w - median(assessments_8w) OVER (PARTITION BY uai, class_id, as_of)
        AS assessments_8w_vs_class_median
FROM student_features
