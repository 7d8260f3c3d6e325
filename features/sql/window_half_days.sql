-- Class half-days in each window before each as-of date, for collèges (no class on Wednesday
-- afternoon) and lycées. A window without any class day has no row: its rates stay NULL.
SELECT
    a.as_of,
    c.college,
    sum(c.half_days) FILTER (WHERE c.day >= a.start_2w) AS class_half_days_2w,
    sum(c.half_days) FILTER (WHERE c.day >= a.start_4w) AS class_half_days_4w,
    sum(c.half_days) FILTER (WHERE c.day >= a.start_8w) AS class_half_days_8w,
    sum(c.half_days) FILTER (WHERE c.day >= a.year_start) AS class_half_days_ytd
FROM vigie_as_of AS a
JOIN (
    SELECT day, true AS college, college_half_days AS half_days FROM vigie_class_days
    UNION ALL
    SELECT day, false AS college, lycee_half_days AS half_days FROM vigie_class_days
) AS c ON c.day >= a.earliest AND c.day < a.as_of
GROUP BY a.as_of, c.college
