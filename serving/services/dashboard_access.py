"""Who may open the dashboard's académie-wide views (models, drift, fairness, model card).

The rules extend `serving.services.actor` for the dashboard's own services; they are pure
functions of the actor, so each service checks them inside its audited transaction, exactly
as the core services do (`refusing` + `Refused`)."""

from __future__ import annotations

from serving.services.actor import Actor
from serving.services.audit import Refused

__all__ = [
    "MODEL_READERS",
    "REPORT_READERS",
    "may_read_drift",
    "may_read_models",
    "may_read_reports",
    "require",
]

# Registered versions, metrics, precision@k over weeks, drift: the data scientists (DESIGN.md).
MODEL_READERS: frozenset[str] = frozenset({"data_scientist"})
# Fairness audit and model card: inspectors, and the data scientists who build the models.
REPORT_READERS: frozenset[str] = frozenset({"inspector", "data_scientist"})


def may_read_models(actor: Actor) -> bool:
    return actor.role in MODEL_READERS


def may_read_drift(actor: Actor) -> bool:
    return actor.role in MODEL_READERS


def may_read_reports(actor: Actor) -> bool:
    return actor.role in REPORT_READERS


def require(allowed: bool, action: str, message: str) -> None:
    """Raise `Refused` (audited by `refusing`) unless `allowed`."""
    if not allowed:
        raise Refused(action, message)
