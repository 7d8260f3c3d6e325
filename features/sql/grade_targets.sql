-- What a mark can count towards, so that the grades table is scanned once: each roster row
-- (its school year so far and its 8-week window), and each student's whole previous school
-- year (one target per student and year, however many as-of dates share that year). Targets
-- are numbered so that the aggregations below group by a small integer.
SELECT row_number() OVER () AS target_id, *
FROM (
    SELECT
        r.student_id,
        r.as_of,
        false AS previous_year,
        a.earliest AS first_date,
        a.year_start,
        a.start_8w,
        r.as_of AS before_date
    FROM roster AS r
    JOIN vigie_as_of AS a ON a.as_of = r.as_of
    UNION ALL
    SELECT DISTINCT
        r.student_id,
        CAST(NULL AS DATE) AS as_of,
        true AS previous_year,
        a.previous_year_start AS first_date,
        a.previous_year_start AS year_start,
        CAST(NULL AS DATE) AS start_8w,
        a.year_start AS before_date
    FROM roster AS r
    JOIN vigie_as_of AS a ON a.as_of = r.as_of
)
