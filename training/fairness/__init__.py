"""The fairness audit of the weekly lists and of their explanations (`vigie audit`).

On a training run's tested student-weeks, with each establishment's real list length:
per-group list metrics with cluster-bootstrap intervals (`metrics`), disparity ratios against a
reference group judged against the 0.8-1.25 band (`disparities`), the explanation audit
(`explanations`), proxy detection (`proxies`), and the report an inspector reads and signs
(`report`, `figures`, `wording`). `audit` runs it all without I/O; `logged` is the MLflow edge.
"""

from training.fairness.audit import FairnessAudit, audited_rows, run_audit
from training.fairness.config import FairnessConfig
from training.fairness.groups import GROUPING_NAMES, GROUPINGS

__all__ = [
    "GROUPINGS",
    "GROUPING_NAMES",
    "FairnessAudit",
    "FairnessConfig",
    "audited_rows",
    "run_audit",
]
