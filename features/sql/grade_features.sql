-- The grade family of each roster row: period means and their change, change against the
-- whole previous school year, subject counts and spread, recent marks, weeks since the last.
SELECT
    gt.student_id,
    gt.as_of,
    current_mean AS grade_mean_current_period,
    previous_mean AS grade_mean_previous_period,
    s.year_mean AS grade_mean_ytd,
    current_mean - previous_mean AS grade_mean_change_period,
    s.year_mean - py.year_mean AS grade_mean_change_year,
    s.subjects_below_8_ytd,
    s.subjects_below_10_ytd,
    s.subject_mean_spread_ytd,
    s.assessments_8w,
    (gt.as_of - s.last_mark_date) / 7.0 AS weeks_since_last_grade
FROM grade_summary AS s
JOIN grade_targets AS gt ON gt.target_id = s.target_id AND NOT gt.previous_year
JOIN vigie_as_of AS a ON a.as_of = gt.as_of
LEFT JOIN grade_targets AS pt
    ON pt.previous_year AND pt.student_id = gt.student_id
    AND pt.year_start = a.previous_year_start
LEFT JOIN grade_summary AS py ON py.target_id = pt.target_id,
LATERAL (
    SELECT
        CASE s.current_period
            WHEN 1 THEN s.period_mean_1 WHEN 2 THEN s.period_mean_2 WHEN 3 THEN s.period_mean_3
        END AS current_mean,
        CASE s.current_period WHEN 2 THEN s.period_mean_1 WHEN 3 THEN s.period_mean_2 END
            AS previous_mean
)
