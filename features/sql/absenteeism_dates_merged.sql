-- `absenteeism_dates` of a single as-of date from last week's (`vigie_kept_absenteeism_dates`,
-- built from the same first attendance day): its dates in months before the month of last
-- week's as-of date ($kept_month, its first day), whose days are all last week's, and the
-- step over the attendance days from $kept_month on (`absenteeism_dates`, over the days of
-- whole months, since the step's totals run within a calendar month).
SELECT *
FROM vigie_kept_absenteeism_dates
WHERE reached_on < $kept_month
UNION ALL BY NAME
SELECT * FROM absenteeism_dates
