"""`monitor_week`: the monitoring of one written week, computed and kept with the week.

Three payloads (`serving.monitoring.store.KINDS`), each computed on its own: a part that
cannot be computed (no champion, no reference sample, the week's data altered, no later
extraction) is stored as `{"unavailable": reason}` and the others still are.

- `lists`: churn and slots spent, from the store's lists of the week and the week before.
- `drift`: PSI of every feature and of the score, the week's recorded snapshot
  (`serving.lineage`; a partitioned week's read one académie at a time, counted into the
  bins, so that memory holds one académie's rows) against the sample of training rows the
  champion's run logged (`training.drift_reference`), at the same time of the school year,
  both scored by the champion.
- `outcomes`: with a later extraction, the students of every written week up to this one
  (their recorded snapshots) labelled as the evaluation labels them (`features.labels`, the
  fixed horizon observed up to the extraction's last event) and the queue's metrics on the
  real invitations (`serving.monitoring.metrics.realised_outcomes`), beside the champion's
  logged replay metrics.

Alerts go to the log (week, kind, establishment code or `overall`, measure, value,
threshold: never a student) and are stored in each payload.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from models.registry import CHAMPION, RegistryError
from serving.db.engine import Store
from serving.lineage import WeekDataUnavailable, WeekLineage, lineage_of, written_run
from serving.monitoring.metrics import (
    PROMISED_METRICS,
    Thresholds,
    churn_and_slots,
    drift_section,
    realised_outcomes,
)
from serving.monitoring.store import (
    MonitoredWeek,
    week_before,
    week_capacities,
    week_invitations,
    weeks_up_to,
    write_monitoring,
)
from serving.services.dashboard_drift import REFERENCE_ARTIFACT
from serving.services.errors import NotFound

if TYPE_CHECKING:
    from models.risk_model import RiskModel

__all__ = ["ScoredWeek", "monitor_week", "promised_metrics"]

logger = logging.getLogger(__name__)
_KEYS = ["student_id", "uai", "as_of", "school_year"]
DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class ScoredWeek:
    """What the weekly run holds when it monitors the week it has just written (`vigie
    score`): the model it scored with (`model_version`, its registered label) and the week's
    feature rows as scored (the content of the week's snapshot). The drift uses them when
    that model is the champion, instead of loading it again and re-reading the snapshot."""

    week: dt.date
    model_version: str
    model: RiskModel = field(repr=False)
    rows: pd.DataFrame = field(repr=False)


def _unavailable(reason: object) -> dict[str, Any]:
    return {"unavailable": str(reason), "alerts": []}


def monitor_week(
    store: Store,
    *,
    week: dt.date | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    client: Any = None,
    model_name: str = "vigie-dropout",
    extraction: str | Path | None = None,
    n_boot: int = 200,
    scored: ScoredWeek | None = None,
) -> MonitoredWeek:
    """Compute and store the monitoring of `week` (its Monday; None: the latest written).
    `client`: the MLflow client of the registry (None: no drift, no promise); `extraction`:
    a later extraction for the realised outcomes (None: not computed); `scored`: the model
    and rows the weekly run already holds for this week (None: loaded and read). NotFound
    when no list was written that week. Re-running replaces the week's payloads (same
    inputs, same payloads)."""
    with store.reading() as session:
        monday = written_run(session, week).week
        lineages = [(r.week, lineage_of(r)) for r in weeks_up_to(session, monday)]
        before = week_before(session, monday)
        capacity = week_capacities(session, monday)
        invited = week_invitations(session, [monday, *([before] if before else [])])
        previous_capacity = week_capacities(session, before) if before else {}
    payloads: dict[str, dict[str, Any]] = {
        "lists": _lists(invited, monday, before, capacity, previous_capacity, thresholds)
    }
    current = lineages[-1][1]
    held = scored if scored is not None and scored.week == monday else None
    payloads["drift"] = _guarded(lambda: _drift(client, model_name, current, monday,
                                                thresholds.psi, held))  # fmt: skip
    payloads["outcomes"] = _guarded(
        lambda: _outcomes(store, client, model_name, lineages, extraction, n_boot)
    )
    with store.transaction() as session:
        write_monitoring(session, monday, payloads)
    result = MonitoredWeek(monday, payloads)
    for alert in result.alerts:
        logger.warning(
            "monitoring alert, week of %s: %s %s at %s: %.3f (threshold %.3f)",
            monday.isoformat(), alert["kind"], alert["measure"], alert["scope"],
            alert["value"], alert["threshold"],
        )  # fmt: skip
    return result


def _guarded(compute: Any) -> dict[str, Any]:
    """A part's payload, or why it is unavailable (a missing or altered input, a champion
    that cannot be loaded)."""
    try:
        payload: dict[str, Any] = compute()
        return payload
    except (NotFound, RegistryError, WeekDataUnavailable, ValueError, FileNotFoundError) as error:
        return _unavailable(error)


def _lists(
    invited: pd.DataFrame,
    week: dt.date,
    before: dt.date | None,
    capacity: dict[str, int],
    previous_capacity: dict[str, int],
    thresholds: Thresholds,
) -> dict[str, Any]:
    def by_uai(day: dt.date) -> dict[str, set[str]]:
        part = invited[invited["week"] == day]
        return {str(uai): set(group["student_id"].astype(str))
                for uai, group in part.groupby("uai")}  # fmt: skip

    previous = None
    if before is not None:
        last = by_uai(before)
        previous = {uai: last.get(uai, set()) for uai in previous_capacity}
    payload = churn_and_slots(by_uai(week), previous, capacity, thresholds)
    payload["previous_week"] = None if before is None else before.isoformat()
    return payload


def _drift(
    client: Any,
    name: str,
    lineage: WeekLineage | None,
    week: dt.date,
    threshold: float,
    scored: ScoredWeek | None = None,
) -> dict[str, Any]:
    from models.registry import load_model
    from serving.services.dashboard_models import version_artifact_frame

    if client is None:
        raise NotFound("no model registry to read the champion's training rows from")
    if lineage is None:
        raise WeekDataUnavailable(week, "record", "not_recorded")
    version, reference = version_artifact_frame(client, name, CHAMPION, REFERENCE_ARTIFACT)
    if reference is None:
        raise NotFound(f"version {version.version} of {name} has no {REFERENCE_ARTIFACT}")
    if scored is not None and scored.model_version == f"{name}/{version.version}":
        # The weekly run's own model and rows: nothing reloaded.
        section = drift_section(reference, scored.rows, lineage.as_of, threshold,
                                score=scored.model.predict_risk)  # fmt: skip
    else:
        # The snapshot read one part at a time (a partitioned week's académie after
        # académie), each counted into the bins then let go.
        model = load_model(name, version.version, client)
        columns, parts = lineage.feature_parts()
        section = drift_section(reference, parts, lineage.as_of, threshold,
                                score=model.predict_risk, columns=columns)  # fmt: skip
    section["model_version"] = f"{name}/{version.version}"
    section["week_model_version"] = lineage.model_version
    return section


def promised_metrics(client: Any, name: str) -> tuple[str | None, dict[str, float]]:
    """(the champion's version label, its training run's replay metrics for the primary
    model: `PROMISED_METRICS` with their interval bounds); (None, {}) when unavailable."""
    from models.registry import RegistryError, resolve
    from training.fitting import PRIMARY
    from training.report import metric_key

    if client is None:
        return None, {}
    try:
        version = resolve(client, name, CHAMPION)
    except RegistryError:
        return None, {}
    if not version.run_id:
        return f"{name}/{version.version}", {}
    metrics = client.get_run(version.run_id).data.metrics
    promised = {}
    for metric in PROMISED_METRICS:
        for suffix in ("", "_low", "_high"):
            key = metric_key(f"{PRIMARY}.replay", f"{metric}{suffix}")
            if key in metrics:
                promised[f"{metric}{suffix}"] = float(metrics[key])
    return f"{name}/{version.version}", promised


def _outcomes(
    store: Store,
    client: Any,
    name: str,
    lineages: list[tuple[dt.date, WeekLineage | None]],
    extraction: str | Path | None,
    n_boot: int,
) -> dict[str, Any]:
    from features.labels import horizon_labels
    from features.validation import require_valid
    from training.snapshots import extraction_last_event

    if extraction is None:
        raise NotFound("no later extraction given (--extraction) to learn the exits from")
    frames, skipped = [], []
    for day, lineage in lineages:
        try:
            if lineage is None:
                raise WeekDataUnavailable(day, "record", "not_recorded")
            frames.append(lineage.features(columns=_KEYS))
        except WeekDataUnavailable:
            skipped.append(day.isoformat())
    if not frames:
        raise NotFound("no written week has its recorded students")
    students = pd.concat(frames, ignore_index=True)
    students["as_of"] = pd.to_datetime(students["as_of"])
    with require_valid(extraction) as opened:
        observed_until = extraction_last_event(opened)
        if observed_until is None:
            raise ValueError(f"the extraction in {extraction} records no event")
        labels = horizon_labels(students, opened, observed_until)
    scored = pd.DataFrame({
        "uai": students["uai"].astype(str), "school_year": students["school_year"].astype(str),
        "as_of": students["as_of"], "student_id": students["student_id"].astype(str),
        "score": 0.0, "label": labels["label"].fillna(0.0).astype(bool),
        "capacity": 0, "censored": labels["censored"].astype(bool),
        "exit_date": pd.to_datetime(labels["label_exit_date"]),
    })  # fmt: skip
    with store.reading() as session:
        invited = week_invitations(session, [day for day, _ in lineages])
    invited = invited.assign(as_of=pd.to_datetime(invited["as_of"]), uai=invited["uai"].astype(str))
    invitations = invited[["uai", "as_of", "student_id"]].merge(
        scored, on=["uai", "as_of", "student_id"], how="inner", validate="one_to_one"
    )
    version, promised = promised_metrics(client, name)
    payload = realised_outcomes(invitations, scored, promised, n_boot=n_boot)
    payload["promised_by"] = version
    payload["observed_until"] = observed_until.isoformat()
    payload["weeks_without_data"] = skipped
    return payload
