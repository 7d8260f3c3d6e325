-- The grade family of each roster row: period means and their change, change against the
-- whole previous school year, subject counts and spread, recent marks, weeks since the last
-- (as-of dates of this query: numbered $first_index to $last_index).
SELECT
    r.roster_id,
    current_mean AS grade_mean_current_period,
    previous_mean AS grade_mean_previous_period,
    s.year_mean AS grade_mean_ytd,
    current_mean - previous_mean AS grade_mean_change_period,
    s.year_mean - py.year_mean AS grade_mean_change_year,
    s.subjects_below_8_ytd,
    s.subjects_below_10_ytd,
    s.subject_mean_spread_ytd,
    rc.assessments_8w,
    (r.as_of - s.last_mark_date) / 7.0 AS weeks_since_last_grade
FROM roster AS r
JOIN vigie_as_of AS a ON a.as_of = r.as_of
LEFT JOIN (
    SELECT * FROM grade_grid WHERE as_of_index BETWEEN $first_index AND $last_index
) AS s ON s.student_id = r.student_id AND s.as_of_index = r.as_of_index
LEFT JOIN (
    SELECT * FROM grade_recent WHERE as_of_index BETWEEN $first_index AND $last_index
) AS rc ON rc.student_id = r.student_id AND rc.as_of_index = r.as_of_index
LEFT JOIN grade_previous AS py
    ON py.student_id = r.student_id AND py.year_start = a.previous_year_start,
LATERAL (
    SELECT
        CASE s.current_period
            WHEN 1 THEN s.period_mean_1 WHEN 2 THEN s.period_mean_2 WHEN 3 THEN s.period_mean_3
        END AS current_mean,
        CASE s.current_period WHEN 2 THEN s.period_mean_1 WHEN 3 THEN s.period_mean_2 END
            AS previous_mean
)
