-- The attendance counts of each student per as-of date (numbered $first_index to
-- $last_index): the running totals of `attendance_running` spread over the dates they hold
-- for; steps holding none of them are left out before they are spread.
SELECT
    * EXCLUDE (first_index, next_index),
    unnest(range(greatest(first_index, $first_index), least(next_index, $last_index + 1)))
        AS as_of_index
FROM attendance_running
WHERE first_index <= $last_index AND next_index > $first_index
