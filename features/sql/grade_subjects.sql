-- Usable marks (out_of > 0) per target and subject, in one pass over the grades table:
-- coefficient-weighted sums of marks on /20 over the target's school year, overall and per
-- period (periods are 1, 2 or 3 by contract), the latest period with a mark, the marks of the
-- 8-week window (which may reach back into the previous school year in September) and the
-- date of the last mark.
SELECT
    target_id,
    subject,
    sum(weighted_mark) FILTER (WHERE this_year) AS weighted_marks,
    sum(coefficient) FILTER (WHERE this_year) AS weights,
    sum(weighted_mark) FILTER (WHERE this_year AND period = 1) AS weighted_marks_1,
    sum(coefficient) FILTER (WHERE this_year AND period = 1) AS weights_1,
    sum(weighted_mark) FILTER (WHERE this_year AND period = 2) AS weighted_marks_2,
    sum(coefficient) FILTER (WHERE this_year AND period = 2) AS weights_2,
    sum(weighted_mark) FILTER (WHERE this_year AND period = 3) AS weighted_marks_3,
    sum(coefficient) FILTER (WHERE this_year AND period = 3) AS weights_3,
    max(period) FILTER (WHERE this_year) AS latest_period,
    count(*) FILTER (WHERE date >= start_8w) AS assessments_8w,
    max(date) FILTER (WHERE this_year) AS last_mark_date
FROM (
    SELECT
        t.target_id,
        t.start_8w,
        g.subject,
        g.period,
        g.date,
        g.coefficient,
        g.coefficient * (g.value / g.out_of * 20) AS weighted_mark,
        g.date >= t.year_start AS this_year
    FROM grade_targets AS t
    JOIN grades AS g
        ON g.student_id = t.student_id AND g.date >= t.first_date AND g.date < t.before_date
    WHERE g.out_of > 0
        AND g.date >= (SELECT min(previous_year_start) FROM vigie_as_of)
        AND g.date < (SELECT max(as_of) FROM vigie_as_of)
)
GROUP BY target_id, subject
