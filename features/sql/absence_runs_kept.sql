-- The runs of `vigie_runs` (the rows of `absence_runs`) that a single as-of date's features
-- and the next week's runs need: of each student and school year, the longest run (the
-- earliest of equal ones) and the last one. A single date's streak is the longest run of its
-- school year (`streak_grid_one_date`), and the next week's days can only extend the last
-- run (`absence_runs_merged`). Two rows at most per student-year, kept from week to week,
-- instead of every run.
SELECT *
FROM vigie_runs
QUALIFY row_number() OVER (PARTITION BY student_id, year_start ORDER BY run_length DESC, first_day) = 1
    OR row_number() OVER (PARTITION BY student_id, year_start ORDER BY first_day DESC) = 1
