"""The one registry module on a real local MLflow store: one rule to pick a version (a number,
an alias, else the champion), clear errors for what is missing, the model, its identity, its
tags and its run's artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pytest

from models.registry import (
    CHALLENGER,
    CHAMPION,
    REGISTERED_MODEL,
    RegistryError,
    alias_version,
    artifact_text,
    load_model,
    model_hash,
    model_uri,
    register_version,
    registry_client,
    resolve,
    set_alias,
    tag_version,
    versions_with_aliases,
)
from models.risk_model import RiskModel
from tests.mlflow_uris import mlflow_uris_kept

from .conftest import Years


@dataclass(frozen=True)
class Store:
    client: Any
    model: RiskModel
    run_id: str


@pytest.fixture(scope="module")
def store(years: Years, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Two registered versions of one small model: 1 is the champion, 2 the challenger."""
    from models.pyfunc import log_risk_model
    from training.tracking import ensure_experiment, setup_tracking

    home = tmp_path_factory.mktemp("registry_home")
    train = years.train.head(3000)
    model = RiskModel(num_boost_round=20, calibration_folds=3, seed=3).fit(
        train, train["label_dropped_out"], groups=train["student_id"]
    )
    with mlflow_uris_kept(), pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.setenv("VIGIE_HOME", str(home))
        uri = setup_tracking()
        assert uri == f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"
        client = registry_client(uri)
        # Its own experiment: the default one keeps artifacts in the working directory.
        experiment = ensure_experiment("tests", home)
        with mlflow.start_run(experiment_id=experiment) as run:
            info = log_risk_model(model, train)
            mlflow.log_text('{"gate": "passed"}', "fairness/audit.json")
        for _ in range(2):
            register_version(client, info.model_uri, REGISTERED_MODEL,
                             {"vigie.run_id": run.info.run_id}, alias=CHALLENGER)  # fmt: skip
        set_alias(client, REGISTERED_MODEL, CHAMPION, 1)
        yield Store(client, model, run.info.run_id)


def test_nothing_asked_is_the_champion(store: Store) -> None:
    assert str(resolve(store.client).version) == "1"
    assert model_uri(REGISTERED_MODEL) == "models:/vigie-dropout@champion"


def test_a_number_is_a_version_and_a_word_an_alias(store: Store) -> None:
    assert str(resolve(store.client, REGISTERED_MODEL, 2).version) == "2"
    assert str(resolve(store.client, REGISTERED_MODEL, "1").version) == "1"
    assert str(resolve(store.client, REGISTERED_MODEL, CHALLENGER).version) == "2"
    assert model_uri(REGISTERED_MODEL, 2) == "models:/vigie-dropout/2"
    assert model_uri(REGISTERED_MODEL, CHALLENGER) == "models:/vigie-dropout@challenger"


def test_what_is_missing_is_named(store: Store) -> None:
    with pytest.raises(RegistryError, match=r"^vigie-dropout has no version 7$"):
        resolve(store.client, REGISTERED_MODEL, "7")
    with pytest.raises(RegistryError, match="vigie-dropout has no staging version: set the "
                                            "alias staging or name a version"):  # fmt: skip
        resolve(store.client, REGISTERED_MODEL, "staging")
    with pytest.raises(RegistryError, match="no registered model vigie-unknown: train one"):
        resolve(store.client, "vigie-unknown")
    with pytest.raises(ValueError, match="cannot be empty"):
        resolve(store.client, REGISTERED_MODEL, "")
    assert alias_version(store.client, REGISTERED_MODEL, "staging") is None
    assert alias_version(store.client, REGISTERED_MODEL, CHAMPION) == "1"


def test_a_registry_without_a_champion_says_how_to_get_one(store: Store) -> None:
    other = "vigie-no-champion"
    register_version(store.client, model_uri(REGISTERED_MODEL, 1), other, {}, alias=CHALLENGER)
    with pytest.raises(RegistryError, match="vigie-no-champion has no champion version: "
                                            "promote a version with `vigie promote`"):  # fmt: skip
        resolve(store.client, other)


def test_versions_carry_their_aliases_and_tags(store: Store) -> None:
    tag_version(store.client, REGISTERED_MODEL, 2, {"vigie.note": "checked"})
    found = {str(v.version): (sorted(aliases), v.tags) for v, aliases in
             versions_with_aliases(store.client, REGISTERED_MODEL)}  # fmt: skip
    assert found["1"] == ([CHAMPION], {"vigie.run_id": store.run_id})
    assert found["2"] == ([CHALLENGER], {"vigie.run_id": store.run_id, "vigie.note": "checked"})
    assert versions_with_aliases(store.client, "vigie-unknown") == []


def test_the_loaded_model_is_the_registered_one(store: Store, years: Years) -> None:
    loaded = load_model(REGISTERED_MODEL, resolve(store.client).version)
    assert loaded.model_hash_ == store.model.model_hash_
    assert model_hash(REGISTERED_MODEL, 1) == store.model.model_hash_
    rows = years.held_out.head(200)
    assert (loaded.predict_risk(rows) == store.model.predict_risk(rows)).all()
    with pytest.raises(RegistryError, match="vigie-dropout version 9 cannot be loaded"):
        load_model(REGISTERED_MODEL, 9)
    assert model_hash(REGISTERED_MODEL, 9) is None


def test_a_runs_artifacts_are_read(store: Store) -> None:
    assert artifact_text(store.client, store.run_id, "fairness/audit.json") == '{"gate": "passed"}'
    assert artifact_text(store.client, store.run_id, "fairness/missing.json") is None


def test_the_client_reads_the_store_it_is_given(store: Store, tmp_path: Path) -> None:
    empty = registry_client(f"sqlite:///{tmp_path / 'empty.db'}")
    assert versions_with_aliases(empty, REGISTERED_MODEL) == []
    with pytest.raises(RegistryError, match="no registered model vigie-dropout"):
        resolve(empty)
