"""Training on the two-worker cluster when a split has a single training year: the calibration
is cross-fitted by student as on one machine (one `lightgbm.dask` booster per fold), and the
evaluation matches the single-machine pipeline run on the same académies' snapshots."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from distributed import Client

from features.synth.academies import synthesize_academies
from tests.cluster.test_cluster_training import COVERAGE_TOLERANCE, FIT_FREE, PRECISION_TOLERANCE
from training.cluster_evaluation import train_and_evaluate_on_cluster
from training.config import TrainConfig, load_train_config
from training.evaluation import ReplayEvaluation, replay_evaluation
from training.fairness import FairnessAudit, FairnessConfig, audited_rows, run_audit
from training.fairness.audit import LIST_COLUMNS
from training.fairness.groups import ATTRIBUTE_COLUMNS
from training.partitioned_snapshots import (
    PartitionedPrepared,
    in_memory,
    partitioned_latent,
    prepare_partitioned,
)
from training.pipeline import TrainingResult, train_and_evaluate

# Four school years: the tested year and a single consolidated training year before it.
SIZES = {"establishments": 2, "students": 200, "years": 4}
# Ranking quality of the cluster's model on the tested student-weeks (absolute difference).
AUC_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def config() -> TrainConfig:
    return load_train_config(None, {"n_boot": 10, "lightgbm.num_boost_round": 15,
                                    "lightgbm.min_data_in_leaf": 30})  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("four_years") / "extraction"
    synthesize_academies(out, 2, seed=17, **SIZES)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="module")
def prepared(
    data: Path, config: TrainConfig, cluster: Client, tmp_path_factory: pytest.TempPathFactory
) -> PartitionedPrepared:
    dataset = tmp_path_factory.mktemp("snapshots")
    return prepare_partitioned(data, config, dataset, client=cluster)


def test_a_single_training_year_is_cross_fitted_on_the_cluster_as_on_one_machine(
    data: Path, config: TrainConfig, cluster: Client, prepared: PartitionedPrepared
) -> None:
    assert [plan.calibration_year for plan in prepared.plans] == [None]
    alone = train_and_evaluate(in_memory(prepared), config)
    alone_replay = replay_evaluation(alone.predictions, config, partitioned_latent(data))

    result, replay, audited = train_and_evaluate_on_cluster(cluster, prepared, config, data)

    model = result.final_model
    assert model.calibration_source_ == alone.final_model.calibration_source_
    assert model.calibration_source_ == "3-fold cross-fitting by student"
    assert "monotone_constraints" in model.params_
    assert model.params_ == alone.final_model.params_
    assert model.booster_.num_trees() == config.lightgbm.num_boost_round
    # The same tested rows, scored by every fit-free baseline exactly as on one machine.
    keys = ["student_id", "as_of", "uai", "label", *FIT_FREE[:-1]]
    pd.testing.assert_frame_equal(result.predictions[keys], alone.predictions[keys])
    assert result.final_training_rows == len(alone.final_fold.train)
    # The model: close on the replay and the student-week ranking, within the tolerance.
    assert_close_to_one_machine(result, replay, alone, alone_replay)
    assert result.comparison.loc["lightgbm", "roc_auc"] > 0.6
    # Replayed per académie, bootstrapped on the client: the single-machine tables.
    fit_free = list(FIT_FREE)
    pd.testing.assert_frame_equal(replay.table.loc[fit_free], alone_replay.table.loc[fit_free])
    rules = ["rule_absenteeism", "rule_abc"]
    pd.testing.assert_frame_equal(result.comparison.loc[rules], alone.comparison.loc[rules])
    # The fairness audit reads every tested row, with its group attributes, on the client
    # only the columns of the lists' audit; the sample's features come from the workers: the
    # audit of the whole rows gathered, exactly.
    assert len(audited) == len(alone.predictions)
    whole = audited_rows(result.predictions, in_memory(prepared).snapshots)
    assert set(ATTRIBUTE_COLUMNS) <= set(audited.rows.columns)
    pd.testing.assert_frame_equal(audited.rows, whole.loc[:, list(LIST_COLUMNS)])
    picked = whole.sample(n=50, random_state=1).index  # labels of every part, unsorted
    pd.testing.assert_frame_equal(audited.sampled(picked), whole.loc[picked], check_exact=True)
    pd.testing.assert_frame_equal(audited.sampled(picked[:0]), whole.loc[picked[:0]])
    settings = FairnessConfig(seed=3, n_boot=10, sample_rows=300)
    assert len(whole) > 2 * settings.sample_rows
    ours = run_audit(audited.rows, model, settings, sampled=audited.sampled)
    assert_same_audit(ours, run_audit(whole, model, settings))
    audited.release()


def assert_same_audit(ours: FairnessAudit, theirs: FairnessAudit) -> None:
    """Every table and figure of two audits equal (not their timings or time of making)."""
    for name in ("metrics", "disparities", "mean_contributions", "differences",
                 "reason_families", "proxies", "proxy_importance", "within_metrics",
                 "within_disparities", "gate_table"):  # fmt: skip
        pd.testing.assert_frame_equal(getattr(ours, name), getattr(theirs, name), obj=name)
    assert ours.references == theirs.references
    assert ours.gate_scope == theirs.gate_scope
    made = "generated_at"
    assert {k: v for k, v in ours.context.items() if k != made} == {
        k: v for k, v in theirs.context.items() if k != made
    }


def assert_close_to_one_machine(
    result: TrainingResult,
    replay: ReplayEvaluation,
    alone: TrainingResult,
    alone_replay: ReplayEvaluation,
) -> None:
    """The cluster's model within the stated tolerances of the single machine's: on the
    replay (share of dropouts reached, of invitations to dropouts) and the ROC AUC."""
    ours, theirs = replay.table.loc["lightgbm"], alone_replay.table.loc["lightgbm"]
    assert abs(ours["dropout_coverage"] - theirs["dropout_coverage"]) <= COVERAGE_TOLERANCE
    assert abs(ours["invitation_precision"] - theirs["invitation_precision"]) <= (
        PRECISION_TOLERANCE
    )
    auc = result.comparison.loc["lightgbm", "roc_auc"]
    assert abs(auc - alone.comparison.loc["lightgbm", "roc_auc"]) <= AUC_TOLERANCE
