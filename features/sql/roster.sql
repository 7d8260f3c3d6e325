-- The students enrolled on each as-of date: an enrollment with start_date <= as_of and no
-- end_date or end_date >= as_of. When several match, the latest start wins; ties are broken
-- by school year (latest), then uai, class_id and level (smallest), as in features.reference.
-- Each row gets a `roster_id`, so that every later step groups and joins on one integer, and
-- the number of its as-of date (`as_of_index`), to meet the per-date aggregates.
SELECT row_number() OVER () AS roster_id, *
FROM (
    SELECT
        e.student_id,
        a.as_of,
        a.as_of_index,
        e.uai,
        e.level,
        e.track,
        e.class_id,
        coalesce(est.kind = 'college', false) AS college
    FROM enrollment_rows AS e
    JOIN vigie_as_of AS a
        ON e.start_date <= a.as_of AND (e.end_date IS NULL OR e.end_date >= a.as_of)
    LEFT JOIN establishments AS est ON est.uai = e.uai
    QUALIFY row_number() OVER (
        PARTITION BY e.student_id, a.as_of
        ORDER BY e.start_date DESC, e.school_year DESC, e.uai, e.class_id, e.level
    ) = 1
)
