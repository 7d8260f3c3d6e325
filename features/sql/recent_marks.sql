-- Usable marks counted per student and range of as-of dates whose 8-week window holds them
-- (from bucket + 1 to until_8w, see `vigie_days`); days in no such window are left out.
SELECT g.student_id, d.bucket, d.until_8w, count(*) AS marks
FROM grades AS g
JOIN vigie_days AS d ON d.day = g.date
WHERE g.out_of > 0 AND g.date >= $recent_from AND g.date < $last_as_of AND d.until_8w > d.bucket
GROUP BY ALL
