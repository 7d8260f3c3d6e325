-- One row per enrolled student and as-of date with every per-student feature; counts are 0
-- when nothing happened, means and "weeks since" stay NULL when undefined.
SELECT
    r.roster_id,
    r.student_id,
    r.as_of,
    a.school_year,
    r.uai,
    r.level,
    r.track,
    r.class_id,
    CAST(coalesce(ac.unjustified_absences_2w, 0) AS DOUBLE) AS unjustified_absences_2w,
    CAST(coalesce(ac.unjustified_absences_4w, 0) AS DOUBLE) AS unjustified_absences_4w,
    CAST(coalesce(ac.unjustified_absences_8w, 0) AS DOUBLE) AS unjustified_absences_8w,
    CAST(coalesce(ac.unjustified_absences_ytd, 0) AS DOUBLE) AS unjustified_absences_ytd,
    CAST(coalesce(ac.justified_absences_2w, 0) AS DOUBLE) AS justified_absences_2w,
    CAST(coalesce(ac.justified_absences_4w, 0) AS DOUBLE) AS justified_absences_4w,
    CAST(coalesce(ac.justified_absences_8w, 0) AS DOUBLE) AS justified_absences_8w,
    CAST(coalesce(ac.justified_absences_ytd, 0) AS DOUBLE) AS justified_absences_ytd,
    coalesce(ac.unjustified_absences_2w, 0) / CAST(nullif(h.class_half_days_2w, 0) AS DOUBLE)
        AS unjustified_absence_rate_2w,
    coalesce(ac.unjustified_absences_4w, 0) / CAST(nullif(h.class_half_days_4w, 0) AS DOUBLE)
        AS unjustified_absence_rate_4w,
    coalesce(ac.unjustified_absences_8w, 0) / CAST(nullif(h.class_half_days_8w, 0) AS DOUBLE)
        AS unjustified_absence_rate_8w,
    coalesce(ac.unjustified_absences_ytd, 0) / CAST(nullif(h.class_half_days_ytd, 0) AS DOUBLE)
        AS unjustified_absence_rate_ytd,
    coalesce(ac.justified_absences_2w, 0) / CAST(nullif(h.class_half_days_2w, 0) AS DOUBLE)
        AS justified_absence_rate_2w,
    coalesce(ac.justified_absences_4w, 0) / CAST(nullif(h.class_half_days_4w, 0) AS DOUBLE)
        AS justified_absence_rate_4w,
    coalesce(ac.justified_absences_8w, 0) / CAST(nullif(h.class_half_days_8w, 0) AS DOUBLE)
        AS justified_absence_rate_8w,
    coalesce(ac.justified_absences_ytd, 0) / CAST(nullif(h.class_half_days_ytd, 0) AS DOUBLE)
        AS justified_absence_rate_ytd,
    CAST(coalesce(ac.lates_4w, 0) AS DOUBLE) AS lates_4w,
    CAST(coalesce(ac.lates_ytd, 0) AS DOUBLE) AS lates_ytd,
    CAST(2 * coalesce(ac.unjustified_absences_4w, 0) - coalesce(ac.unjustified_absences_8w, 0)
        AS DOUBLE) AS unjustified_absence_trend_4w,
    CAST(coalesce(st.longest_absence_streak_ytd, 0) AS DOUBLE) AS longest_absence_streak_ytd,
    CAST(coalesce(ac.absenteeism_months_ytd, 0) AS DOUBLE) AS absenteeism_months_ytd,
    g.grade_mean_current_period,
    g.grade_mean_previous_period,
    g.grade_mean_ytd,
    g.grade_mean_change_period,
    g.grade_mean_change_year,
    CAST(coalesce(g.subjects_below_8_ytd, 0) AS DOUBLE) AS subjects_below_8_ytd,
    CAST(coalesce(g.subjects_below_10_ytd, 0) AS DOUBLE) AS subjects_below_10_ytd,
    g.subject_mean_spread_ytd,
    CAST(coalesce(g.assessments_8w, 0) AS DOUBLE) AS assessments_8w,
    g.weeks_since_last_grade,
    CAST(coalesce(x.failed_exams, 0) AS DOUBLE) AS failed_exams,
    CAST(coalesce(x.missed_exams, 0) AS DOUBLE) AS missed_exams,
    CAST(coalesce(x.failed_mock_exams_ytd, 0) AS DOUBLE) AS failed_mock_exams_ytd,
    x.weeks_since_last_failed_exam,
    CAST(coalesce(p.repeated_years, 0) AS DOUBLE) AS repeated_years,
    CAST(a.rentree_year - year(s.birth_date) - lv.nominal_age AS DOUBLE) AS age_for_level,
    CAST(coalesce(p.school_changes, 0) AS DOUBLE) AS school_changes,
    est.kind AS establishment_kind,
    est.priority_zone,
    s.sex,
    s.scholarship_level,
    s.parent_pcs
FROM roster AS r
JOIN vigie_as_of AS a ON a.as_of = r.as_of
LEFT JOIN establishments AS est ON est.uai = r.uai
LEFT JOIN students AS s ON s.student_id = r.student_id
LEFT JOIN vigie_levels AS lv ON lv.level = r.level
LEFT JOIN window_half_days AS h ON h.as_of = r.as_of AND h.college = r.college
LEFT JOIN attendance_counts AS ac ON ac.roster_id = r.roster_id
LEFT JOIN absence_streaks AS st ON st.roster_id = r.roster_id
LEFT JOIN grade_features AS g ON g.roster_id = r.roster_id
LEFT JOIN exam_features AS x ON x.roster_id = r.roster_id
LEFT JOIN path_features AS p ON p.roster_id = r.roster_id
