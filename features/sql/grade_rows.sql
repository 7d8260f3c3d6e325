-- Usable marks (out_of > 0) that some as-of date can reach, on /20 weighted by the
-- coefficient, with the school year of the mark and its `bucket` (the mark counts for the
-- as-of dates numbered bucket + 1 to `until_ytd`, the last one of its school year). Periods
-- are 1, 2 or 3 by contract. Read by `grade_marks` (per subject) and `grade_bucket_marks` (per
-- student), never kept: it is as long as the grades table.
-- Weighted marks and coefficients are exact decimals with 12 digits after the point: a sum of
-- floating-point numbers depends on the order of its terms, which DuckDB's parallel aggregates
-- do not fix, and the features must be bitwise the same whatever the thread count (the means
-- divide the exact sums once, at the end). DECIMAL(18, 12) is summed on 64-bit integers (wider
-- decimals cost a quarter more time); it holds weighted marks up to 10^6, i.e. coefficients up
-- to 50,000 (a larger one stops the build with a conversion error).
SELECT
    g.student_id,
    g.subject,
    g.period,
    g.date,
    CAST(g.coefficient AS DECIMAL(18, 12)) AS coefficient,
    CAST(g.coefficient * (g.value / g.out_of * 20) AS DECIMAL(18, 12)) AS weighted_mark,
    d.year_start,
    d.bucket,
    d.until_ytd
FROM grades AS g
JOIN vigie_days AS d ON d.day = g.date
WHERE g.out_of > 0 AND g.date >= $grades_from AND g.date < $last_as_of
