-- `absence_runs` of a single as-of date from last week's runs (`vigie_kept_absence_runs`, the
-- longest and the last of each student-year, `absence_runs_kept`, built from the same first
-- attendance day, so with the same class-day numbers) and the week's attendance days: the
-- runs of each student with an absence from last week's as-of date on are found again from
-- the day of `vigie_run_tails` (`absence_runs`, over the days of `absence_run_days`), since
-- the new days may extend their last kept run; every other kept run is kept as it was. No
-- run holds days on both sides of that day, so each student-year's longest and last runs over
-- every day are among these rows.
SELECT k.*
FROM vigie_kept_absence_runs AS k
ANTI JOIN vigie_run_tails AS t ON t.student_id = k.student_id AND k.first_day >= t.from_day
UNION ALL BY NAME
SELECT * FROM absence_runs
