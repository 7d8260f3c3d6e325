-- Usable marks (out_of > 0) summed per student, subject, school year of the mark and `bucket`
-- (the mark counts for the as-of dates numbered bucket + 1 to `until_ytd`, the last one of its
-- school year), on /20 weighted by the coefficient, overall and per period (periods are 1, 2
-- or 3 by contract).
-- Weighted marks and coefficients are summed exactly, as decimals with 12 digits after the
-- point: a sum of floating-point numbers depends on the order of its terms, which DuckDB's
-- parallel aggregates do not fix, and the features must be bitwise the same whatever the
-- thread count (the means divide the exact sums once, at the end). DECIMAL(18, 12) is summed
-- on 64-bit integers (wider decimals cost a quarter more time); it holds weighted marks up to
-- 10^6, i.e. coefficients up to 50,000 (a larger one stops the build with a conversion error).
SELECT
    g.student_id,
    g.subject,
    d.year_start,
    d.bucket,
    d.until_ytd,
    sum(g.weighted_mark) AS weighted_marks,
    sum(g.coefficient) AS weights,
    sum(g.weighted_mark) FILTER (WHERE g.period = 1) AS weighted_marks_1,
    sum(g.coefficient) FILTER (WHERE g.period = 1) AS weights_1,
    sum(g.weighted_mark) FILTER (WHERE g.period = 2) AS weighted_marks_2,
    sum(g.coefficient) FILTER (WHERE g.period = 2) AS weights_2,
    sum(g.weighted_mark) FILTER (WHERE g.period = 3) AS weighted_marks_3,
    sum(g.coefficient) FILTER (WHERE g.period = 3) AS weights_3,
    max(g.period) AS latest_period,
    max(g.date) AS last_mark_date
FROM (
    SELECT
        student_id,
        subject,
        period,
        date,
        CAST(coefficient AS DECIMAL(18, 12)) AS coefficient,
        CAST(coefficient * (value / out_of * 20) AS DECIMAL(18, 12)) AS weighted_mark
    FROM grades
    WHERE out_of > 0 AND date >= $grades_from AND date < $last_as_of
) AS g
JOIN vigie_days AS d ON d.day = g.date
GROUP BY g.student_id, g.subject, d.year_start, d.bucket, d.until_ytd
