-- The final frame: per-student features plus the two that compare a student with peers
-- enrolled on the same as-of date (establishment absence rate, marks against the class
-- median), from per-establishment and per-class aggregates joined back. The rows come out in
-- no particular order: the builder sorts them by as-of date and student in Arrow, which moves
-- the wide rows for less than DuckDB's ORDER BY does.
SELECT
    f.* EXCLUDE (roster_id, as_of),
    CAST(f.as_of AS TIMESTAMP) AS as_of,
    e.establishment_unjustified_absence_rate_4w,
    f.assessments_8w - c.class_median_assessments_8w AS assessments_8w_vs_class_median
FROM student_features AS f
JOIN (
    -- The mean of the students' rates, summed exactly (as DECIMAL): a floating-point sum
    -- would depend on the order of DuckDB's parallel aggregate.
    SELECT
        uai,
        as_of,
        CAST(avg(CAST(unjustified_absence_rate_4w AS DECIMAL(38, 18))) AS DOUBLE)
            AS establishment_unjustified_absence_rate_4w
    FROM student_features
    GROUP BY uai, as_of
) AS e ON e.uai = f.uai AND e.as_of = f.as_of
JOIN (
    SELECT uai, class_id, as_of, median(assessments_8w) AS class_median_assessments_8w
    FROM student_features
    GROUP BY uai, class_id, as_of
) AS c ON c.uai = f.uai AND c.class_id IS NOT DISTINCT FROM f.class_id AND c.as_of = f.as_of
