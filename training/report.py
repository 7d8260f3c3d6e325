"""The comparison table for people (a rich table) and for machines (JSON), and its metric names.

The JSON holds every column of `training.metrics.compare_models` for every model, plus the
paired lift table and the splits, so that `vigie evaluate` can print a logged run again without
its data. MLflow metric names cannot hold `@` or `%`: `metric_key` spells them out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
from rich.table import Table

from features.jsonio import dumps, loads

__all__ = [
    "comparison_from_json",
    "comparison_to_json",
    "metric_key",
    "metrics_for_mlflow",
    "render_comparison",
    "render_lift",
    "render_replay",
    "render_replay_lift",
    "replay_for_mlflow",
    "replay_from_json",
    "replay_tables_from_json",
]

SCHEMA = "vigie.comparison/1"
_UNSAFE = re.compile(r"[^0-9A-Za-z_./ -]")


def metric_key(model: str, column: str) -> str:
    """`lightgbm`, `precision@5%_low` -> `lightgbm.precision_at_5pct_low` (MLflow-safe)."""
    name = _UNSAFE.sub("_", column.replace("@", "_at_").replace("%", "pct"))
    return f"{model}.{name}"


def metrics_for_mlflow(table: pd.DataFrame, lift: pd.DataFrame | None = None) -> dict[str, float]:
    """Every finite number of the comparison (and lift) tables, under MLflow-safe keys."""
    metrics: dict[str, float] = {}
    for model, row in table.iterrows():
        for column, value in row.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if math.isfinite(float(value)):
                metrics[metric_key(str(model), str(column))] = float(value)
    if lift is not None:
        for baseline, row in lift.iterrows():
            for column, value in row.items():
                if math.isfinite(float(value)):
                    metrics[metric_key(f"lift_vs_{baseline}", str(column))] = float(value)
    return metrics


def replay_for_mlflow(
    replay: pd.DataFrame, lift: pd.DataFrame | None = None, section: str = "replay"
) -> dict[str, float]:
    """The replay's metrics (`training.replay`) under `<model>.<section>.<metric>` and
    `lift_vs_<model>.<section>.<metric>_diff`, MLflow-safe, finite values only."""
    metrics: dict[str, float] = {}
    for frame, prefix in ((replay, ""), (lift, "lift_vs_")):
        if frame is None:
            continue
        for model, row in frame.iterrows():
            for column, value in row.items():
                if isinstance(value, int | float) and math.isfinite(float(value)):
                    key = metric_key(f"{prefix}{model}.{section}", str(column))
                    metrics[key] = float(value)
    return metrics


def comparison_to_json(
    table: pd.DataFrame,
    lift: pd.DataFrame,
    context: Mapping[str, Any],
    splits: Mapping[str, pd.DataFrame] | None = None,
    replay: pd.DataFrame | None = None,
    replay_lift: pd.DataFrame | None = None,
    replay_variant: pd.DataFrame | None = None,
) -> str:
    """The comparison as JSON: `models` (one object per model), `lift`, `splits`, `context`,
    and `replay` (`models` and `lift` of the replay of the school year, and `variant`: the
    replay with a share of interviews held) when given."""
    payload: dict[str, Any] = {
        "schema": SCHEMA,
        "context": dict(context),
        "columns": [str(column) for column in table.columns],
        "models": _records(table),
        "lift": _records(lift),
        "splits": {name: _records(split) for name, split in (splits or {}).items()},
    }
    if replay is not None:
        payload["replay"] = {
            "models": _records(replay),
            "lift": _records(replay_lift) if replay_lift is not None else {},
            "variant": _records(replay_variant) if replay_variant is not None else {},
        }
    return dumps(payload, indent=2, strict=True, default=str)


def comparison_from_json(text: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The comparison table, the lift table and the context back from `comparison_to_json`."""
    payload = loads(text)
    if payload.get("schema") != SCHEMA:
        raise ValueError(f"not a Vigie comparison table (schema {payload.get('schema')!r})")
    table = pd.DataFrame.from_dict(payload["models"], orient="index")
    table = table.reindex(columns=payload["columns"]).astype(
        {c: "float64" for c in payload["columns"] if c != "is_probability"}
    )
    table.index.name = "model"
    lift = pd.DataFrame.from_dict(payload.get("lift", {}), orient="index").astype("float64")
    return table, lift, payload.get("context", {})


def replay_from_json(text: str) -> pd.DataFrame | None:
    """The replay's table per model back from `comparison_to_json` (None when the run
    logged no replay)."""
    tables = replay_tables_from_json(text)
    return None if tables is None else tables[0]


def replay_tables_from_json(
    text: str,
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None] | None:
    """The replay back from `comparison_to_json`: (one row per model, the reference minus
    each other model with paired intervals or None, the variant with a share of interviews
    held or None); None when the run logged no replay."""
    replay = loads(text).get("replay") or {}
    if not replay.get("models"):
        return None
    sections = []
    for key, index_name in (("models", "model"), ("lift", "lightgbm minus"), ("variant", "model")):
        records = replay.get(key) or {}
        frame = pd.DataFrame.from_dict(records, orient="index") if records else None
        if frame is not None:
            frame.index.name = index_name
        sections.append(frame)
    table, lift, variant = sections
    assert table is not None  # checked above
    return table, lift, variant


def _records(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    for name, row in table.iterrows():
        records[str(name)] = {str(column): _plain(value) for column, value in row.items()}
    return records


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def render_comparison(table: pd.DataFrame, rules: tuple[str, ...], title: str) -> Table:
    """A terminal table, one column per model: list metrics with their 95 % intervals, then
    ranking, calibration, lead time and stability (metrics as rows: fits a narrow terminal)."""
    rich_table = Table(title=title, title_justify="left")
    rich_table.add_column("metric", style="bold")
    for model in table.index:
        rich_table.add_column(str(model), justify="right")
    first = rules[0]
    rows: list[tuple[str, str, int | None]] = []
    for rule in rules:
        rows += [(f"precision@{rule}", f"precision@{rule}", None),
                 (f"recall@{rule}", f"recall@{rule}", None)]  # fmt: skip
    rows += [
        ("ROC-AUC", "roc_auc", 3), ("PR-AUC", "pr_auc", 3), ("Brier", "brier", 4),
        ("log loss", "log_loss", 4), ("ECE", "ece", 4),
        (f"lead time@{first}, median weeks", f"lead_time_median_weeks@{first}", 1),
        (f"flagged {{w}} weeks ahead@{first}", "", 3),
        (f"list stability@{first} (Jaccard)", f"stability_jaccard@{first}", 3),
        ("student-weeks (dropouts)", "", 0),
    ]  # fmt: skip
    ahead = next((c for c in table.columns if c.startswith("share_flagged_")), None)
    for label, column, digits in rows:
        if label.startswith("flagged"):
            if ahead is None:
                continue
            weeks = ahead.removeprefix("share_flagged_").split("w_ahead")[0]
            label, column = label.format(w=weeks), ahead
        if label.startswith("student-weeks"):
            cells = [f"{int(row['n_rows']):,} ({int(row['n_positive_rows']):,})"
                     for _, row in table.iterrows()]  # fmt: skip
        elif digits is None:
            cells = [_with_interval(row, column) for _, row in table.iterrows()]
        else:
            cells = [_number(row.get(column), digits) for _, row in table.iterrows()]
        rich_table.add_row(label, *cells)
    return rich_table


def render_lift(lift: pd.DataFrame, rules: tuple[str, ...]) -> Table:
    """LightGBM minus each other model, with paired 95 % intervals (one column per model)."""
    rich_table = Table(title=f"{lift.index.name or 'lightgbm minus'} (paired 95 % interval)",
                       title_justify="left")  # fmt: skip
    rich_table.add_column("difference", style="bold")
    for name in lift.index:
        rich_table.add_column(str(name), justify="right")
    for rule in rules:
        for statistic in ("precision", "recall"):
            column = f"{statistic}@{rule}_lift"
            cells = [_with_interval(row, column, signed=True) for _, row in lift.iterrows()]
            rich_table.add_row(f"Δ {statistic}@{rule}", *cells)
    return rich_table


_REPLAY_ROWS = (
    ("distinct students invited", "students_invited", 0),
    ("dropouts reached before exit", "dropouts_reached", 0),
    ("  of them, ahead", "dropouts_reached_ahead", 0),
    ("share of invitations to dropouts", "invitation_precision", 3),
    ("share of the year's dropouts reached", "dropout_coverage", 3),
    ("median lead time, weeks", "lead_time_median_weeks", 1),
    ("invitations", "invitations", 0),
    ("dropouts in the tested weeks", "n_dropouts", 0),
)


def render_replay(replay: pd.DataFrame, title: str = "Replay of the school year") -> Table:
    """The replay's headline metrics with 95 % intervals, one row per model (ten with the
    ceiling) and one column per metric, so that the table stays readable on a terminal of 80
    columns and in a log: the cells wrap between words instead of being cut."""
    rich_table = Table(title=title, title_justify="left")
    rich_table.add_column("model", style="bold", no_wrap=True)
    shown = [(label, column, digits) for label, column, digits in _REPLAY_ROWS
             if column in replay.columns]  # fmt: skip
    for label, _, _ in shown:
        rich_table.add_column(label, justify="right", overflow="fold")
    for model, row in replay.iterrows():
        cells = [_with_interval(row, column, digits=digits) for _, column, digits in shown]
        rich_table.add_row(str(model), *cells)
    return rich_table


def render_replay_lift(lift: pd.DataFrame, title: str | None = None) -> Table:
    """The replay's paired differences: the reference (LightGBM) minus each other model on
    the queue's headline counts, with paired 95 % cluster-bootstrap intervals (one row per
    model); an interval that holds 0 is no evidence of a difference."""
    name = lift.index.name or "lightgbm minus"
    rich_table = Table(title=title or f"Replay: {name} each model (paired 95 % interval)",
                       title_justify="left")  # fmt: skip
    rich_table.add_column("model", style="bold", no_wrap=True)
    shown = [(label, f"{column}_diff", digits) for label, column, digits in _REPLAY_ROWS
             if f"{column}_diff" in lift.columns]  # fmt: skip
    for label, _, _ in shown:
        rich_table.add_column(f"Δ {label.strip()}", justify="right", overflow="fold")
    for model, row in lift.iterrows():
        cells = [_with_interval(row, column, True, digits) for _, column, digits in shown]
        rich_table.add_row(str(model), *cells)
    return rich_table


def _with_interval(row: pd.Series, column: str, signed: bool = False, digits: int = 3) -> str:
    """`column`'s value with its `_low`/`_high` interval when both are finite; "-" without a
    finite value. Thousands are separated when the value has no decimals."""
    value = row.get(column)
    if value is None or not math.isfinite(float(value)):
        return "-"
    low, high = row.get(f"{column}_low"), row.get(f"{column}_high")
    spec = ("+" if signed else "") + ("," if digits == 0 else "") + f".{digits}f"
    text = f"{float(value):{spec}}"
    if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
        text += f" [{float(low):{spec}}, {float(high):{spec}}]"
    return text


def _number(value: Any, digits: int = 3) -> str:
    if value is None or not math.isfinite(float(value)):
        return "-"
    return f"{float(value):.{digits}f}"
