"""A k-fold evaluation (`--cv kfold:KxR`) on the two-worker cluster: the folds drawn from
every académie's units in the single machine's order, so the same rows are tested in each fold
and every fit-free baseline gives the single-machine tables exactly (the ranked rules' replay
included, though an académie's lists mix its folds); the model within the stated tolerance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from distributed import Client

from features.synth.academies import synthesize_academies
from tests.cluster.test_cluster_training import FIT_FREE
from tests.cluster.test_cluster_training_crossfit import assert_close_to_one_machine
from training.cluster_evaluation import train_and_evaluate_on_cluster
from training.cluster_kfold import kfold_plans
from training.config import TrainConfig, load_train_config
from training.evaluation import replay_evaluation
from training.folds import kfold_folds
from training.partitioned_snapshots import (
    PartitionedPrepared,
    in_memory,
    partitioned_latent,
    prepare_partitioned,
)
from training.pipeline import train_and_evaluate

SIZES = {"establishments": 2, "students": 300, "years": 2}

@pytest.fixture(scope="module")
def config() -> TrainConfig:
    return load_train_config(None, {
        "cv": "kfold:3x2", "n_boot": 10, "calibration_folds": 2, "test_cadence": "monthly",
        "lightgbm.num_boost_round": 15, "lightgbm.min_data_in_leaf": 30,
    })  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kfold") / "extraction"
    synthesize_academies(out, 2, seed=23, **SIZES)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="module")
def prepared(
    data: Path, config: TrainConfig, cluster: Client, tmp_path_factory: pytest.TempPathFactory
) -> PartitionedPrepared:
    return prepare_partitioned(data, config, tmp_path_factory.mktemp("snapshots"), client=cluster)


def test_the_folds_drawn_over_the_academies_are_the_single_machine_folds(
    config: TrainConfig, cluster: Client, prepared: PartitionedPrepared
) -> None:
    assert prepared.kfold_years
    alone = in_memory(prepared)
    expected = list(kfold_folds(alone.snapshots, alone.kfold_years, config.cv_spec,
                                alone.selection, config.seed))  # fmt: skip
    plans = kfold_plans(cluster, prepared, config)

    assert [plan.name for plan in plans] == [fold.name for fold in expected]
    assert [plan.repeat for plan in plans] == [fold.repeat for fold in expected]
    for plan, fold in zip(plans, expected, strict=True):
        # Each académie's task reads its own units' folds only (a file beside its snapshots,
        # not a copy in every task): its students with a label.
        held = []
        for name in prepared.names:
            own = plan.for_partition(name)
            assert own.folds_file is not None and not own.files
            assert own.folds_file.parent == prepared.path_of(name).parent
            units = own.fold_of()
            students = set(units.index.get_level_values(0))
            assert students <= set(pd.read_parquet(prepared.path_of(name))["student_id"])
            held.append(units)
        fold_of = pd.concat(held)
        assert set(fold_of.index.get_level_values(0)) == set(
            pd.concat([fold.train, fold.test])["student_id"].astype(str)
        )
        tested = set(fold_of[fold_of == plan.fold].index.get_level_values(0))
        assert tested == set(fold.test["student_id"].astype(str))


def test_a_kfold_evaluation_on_the_cluster_matches_the_single_machine_one(
    data: Path, config: TrainConfig, cluster: Client, prepared: PartitionedPrepared
) -> None:
    alone = train_and_evaluate(in_memory(prepared), config)
    alone_replay = replay_evaluation(alone.predictions, config, partitioned_latent(data))

    result, replay, audited = train_and_evaluate_on_cluster(cluster, prepared, config, data)

    # The same folds, the same tested rows in each, every fit-free baseline's scores equal.
    keys = ["split", "repeat", "student_id", "as_of", "uai", "label", *FIT_FREE[:-1]]
    ours = result.predictions[keys].sort_values(["split", "student_id", "as_of"], kind="stable")
    theirs = alone.predictions[keys].sort_values(["split", "student_id", "as_of"], kind="stable")
    pd.testing.assert_frame_equal(ours.reset_index(drop=True), theirs.reset_index(drop=True))
    # Replayed per académie over the first repeat's folds, the ranked rules as ranked over
    # every académie: the single-machine replay exactly; the comparison averaged over repeats.
    fit_free = list(FIT_FREE)
    pd.testing.assert_frame_equal(replay.table.loc[fit_free], alone_replay.table.loc[fit_free])
    rules = ["rule_absenteeism", "rule_abc", "logistic"]
    pd.testing.assert_frame_equal(result.comparison.loc[rules], alone.comparison.loc[rules])
    # The model: close on the replay and the student-week ranking.
    assert_close_to_one_machine(result, replay, alone, alone_replay)
    # k-fold's final model: every row, calibration cross-fitted; no single evaluated model.
    assert result.final_training_rows == len(alone.final_fold.train)
    assert result.final_model.calibration_source_ == alone.final_model.calibration_source_
    assert result.evaluated_model_hash is None and alone.evaluated_model_hash is None
    described = ["split", "train_years", "calibration", "test_year", "train_rows",
                 "calibration_rows", "test_rows"]  # fmt: skip
    assert [{key: fold[key] for key in described} for fold in result.folds] == [
        {key: fold[key] for key in described} for fold in alone.folds
    ]
    # The fairness audit reads the first repeat's rows, each student-week once.
    first = alone.predictions[alone.predictions["repeat"] == 1]
    assert len(audited) == len(first)
    assert not audited.rows.duplicated(["student_id", "as_of"]).any()
    audited.release()
