"""Training and evaluation of the dropout model, all tracked in MLflow.

Data: `snapshots` (as-of Mondays, labels, exit dates, capacity), `plan` and `folds` (which
years train, calibrate and test), `splits` (validated temporal splits, grouped k-fold).
Models: `baselines` (rules schools use, logistic regression), `fitting`; the risk model itself
lives in `models`. Judging: `metrics*`, `evaluation` (the comparison table), `report`, `plots`.
Jobs: `config` (TrainConfig), `pipeline` (no MLflow), `run` (`vigie train`), `tune`,
`promote`, `logged` (`vigie evaluate`), `tracking` (the MLflow edge).
"""
