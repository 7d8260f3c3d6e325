-- The number of the last class day before each as-of date (see `vigie_class_days`).
SELECT a.as_of_index, max(c.class_day_number) AS last_class_day_number
FROM vigie_as_of AS a
JOIN vigie_class_days AS c ON c.day < a.as_of
GROUP BY a.as_of_index
