"""The monitoring section ("Suivi") of the data scientist's drift page: the alerts stored
with the latest monitored week, the churn and slots per establishment, in French and in
English."""

from __future__ import annotations

import pytest

from models.registry import registry_client
from serving.monitoring.metrics import Thresholds
from serving.monitoring.run import monitor_week
from tests.dashboard.conftest import app_as, texts
from tests.dashboard.world import MODEL_NAME


@pytest.mark.parametrize(
    ("language", "title", "alerts", "column"),
    [
        ("fr", "Suivi", "alerte(s) de suivi", "Créneaux utilisés"),
        ("en", "Monitoring", "monitoring alert(s)", "Slots spent"),
    ],
)
def test_the_drift_page_shows_the_weeks_monitoring_and_its_alerts(
    store, world, language: str, title: str, alerts: str, column: str
) -> None:
    result = monitor_week(
        store, thresholds=Thresholds(psi=0.25, churn=0.1, slot_share=0.5),
        client=registry_client(world.tracking_uri), model_name=MODEL_NAME,
        extraction=world.extraction,
    )  # fmt: skip
    assert result.payloads["drift"]["score_psi"] is not None
    churned = [a for a in result.alerts if a["kind"] == "churn"]
    assert churned  # a quarter of each school's list is new: over 10 %
    app = app_as(store, "data_scientist", language)
    app.run()
    app.switch_page("views/drift.py")
    app.run()
    assert not app.exception
    assert title in [header.value for header in app.header]
    shown = texts(app)
    assert f"{len(result.alerts)} {alerts}" in shown
    assert churned[0]["scope"] in shown
    lists = [frame.value for frame in app.dataframe if column in frame.value.columns]
    assert len(lists) == 1 and len(lists[0]) == len(result.payloads["lists"]["establishments"])
    assert not any(student in shown for student in world.home_students)
