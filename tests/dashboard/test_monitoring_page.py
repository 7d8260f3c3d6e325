"""The monitoring section ("Suivi") of the data scientist's drift page: the alerts stored
with the latest monitored week, the churn and slots per establishment, in French and in
English."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from features.catalog import feature_spec
from models.registry import registry_client
from serving.monitoring.metrics import SCORE, Thresholds
from serving.monitoring.run import monitor_week
from tests.dashboard.conftest import app_as, texts
from tests.dashboard.world import MODEL_NAME
from tests.mlflow_uris import mlflow_pointed_at


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
    # A feature's drift alert reads the feature's label, never its code.
    drifted = [a["measure"] for a in result.alerts if a["kind"] == "drift"]
    assert set(drifted) - {SCORE}  # the world's week drifts from its reference season
    for name in set(drifted) - {SCORE}:
        spec = feature_spec(name)
        assert (spec.label_en if language == "en" else spec.label_fr) in shown
        assert name not in shown
    lists = [frame.value for frame in app.dataframe if column in frame.value.columns]
    assert len(lists) == 1 and len(lists[0]) == len(result.payloads["lists"]["establishments"])
    assert not any(student in shown for student in world.home_students)


def test_the_drift_reads_the_champion_from_the_registry_it_is_given(store, world, tmp_path) -> None:
    """The champion is looked up and loaded from the client's registry, whatever store MLflow
    is pointed at (here an empty one): never the lookup in one store and the model in
    another."""
    client = registry_client(world.tracking_uri)
    elsewhere = f"sqlite:///{tmp_path / 'another-mlflow.db'}"
    with mlflow_pointed_at(elsewhere, {}):
        result = monitor_week(store, client=client, model_name=MODEL_NAME,
                              extraction=world.extraction)  # fmt: skip
    drift = result.payloads["drift"]
    assert "unavailable" not in drift, drift
    assert drift["score_psi"] is not None
    champion = client.get_model_version_by_alias(MODEL_NAME, "champion").version
    assert drift["model_version"] == f"{MODEL_NAME}/{champion}"


class _FilesLost(MlflowClient):
    """The registry at `uri`, whose versions' files are gone from the artifact store (at
    `gone`, which does not exist)."""

    def __init__(self, uri: str, gone: Path) -> None:
        super().__init__(uri, uri)
        self.gone = gone

    def get_model_version_download_uri(self, name: str, version: str) -> str:
        return str(self.gone)


def test_a_champion_that_cannot_be_loaded_leaves_the_drift_unavailable_and_the_rest_computed(
    store, world, tmp_path
) -> None:
    client = _FilesLost(world.tracking_uri, tmp_path / "removed")
    result = monitor_week(store, client=client, model_name=MODEL_NAME,
                          extraction=world.extraction)  # fmt: skip
    assert "cannot be loaded" in result.payloads["drift"]["unavailable"]
    assert result.payloads["lists"]["establishments"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_alert_measure_reads_as_words(language: str) -> None:
    """The measures of the monitoring's alerts (`serving.monitoring.metrics`): the lists',
    the score's drift, the promised outcomes and each feature's drift, never a code."""
    from app_dashboard.monitoring_alerts import measure_label
    from features.catalog import feature_names, feature_spec
    from serving.monitoring.metrics import PROMISED_METRICS, SCORE
    from tests.dashboard.test_browser import raw_codes

    measures = ("churn", "slot_share", SCORE, *PROMISED_METRICS, *feature_names())
    labels = {name: measure_label(name, language) for name in measures}
    assert not [f"{name}: {found}" for name, label in labels.items()
                for found in raw_codes(label, language)]  # fmt: skip
    assert len(set(labels.values())) == len(measures)  # none read alike
    spec = feature_spec("weeks_since_last_grade")
    assert labels[spec.name] == (spec.label_en if language == "en" else spec.label_fr)
    assert measure_label("a_later_measure", language) == "a_later_measure"
