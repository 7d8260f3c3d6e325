"""The fairness audit's arithmetic on hand-made lists, and its report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.fairness import FairnessConfig
from training.fairness.disparities import SENSITIVE_GROUPINGS, disparities, reference_groups
from training.fairness.explanations import reason_families, top_raising_family
from training.fairness.groups import group_frame, group_label
from training.fairness.metrics import group_metrics
from training.metrics_ranking import expected_calibration_error


def _lists(establishments: int = 6, students: int = 40, seed: int = 3) -> pd.DataFrame:
    """Scored rows of a few establishment-weeks, with group attributes, capacity 4."""
    rng = np.random.default_rng(seed)
    rows = []
    for school in range(establishments):
        for week in ("2026-01-05", "2026-01-12"):
            for student in range(students):
                girl = student % 2 == 0
                rows.append({
                    "student_id": f"s{school}-{student}", "as_of": pd.Timestamp(week),
                    "uai": f"00000{school:02d}A", "school_year": "2025-2026", "capacity": 4,
                    "label": bool(student % 5 == 0), "score": float(rng.uniform(0, 0.3)),
                    "sex": "F" if girl else "M", "scholarship_level": 2 if student % 3 else 0,
                    "parent_pcs": "middle", "track": "college", "priority_zone": "none",
                    "establishment_kind": "college",
                })  # fmt: skip
    return pd.DataFrame(rows)


def test_group_metrics_match_a_hand_count() -> None:
    frame = _lists()
    config = FairnessConfig(min_students=10, min_positives=5, n_boot=200)
    measured = group_metrics(frame, group_frame(frame), config)
    ranked = frame.sort_values(["uai", "as_of", "score"], ascending=[True, True, False])
    selected = ranked.groupby(["uai", "as_of"]).head(4).index
    frame["selected"] = frame.index.isin(selected)
    for sex in ("F", "M"):
        part = frame[frame["sex"] == sex]
        row = measured.table.query("grouping == 'sex' and group == @sex").iloc[0]
        hits = (part["selected"] & part["label"]).sum()
        assert row["selection_rate"] == pytest.approx(part["selected"].mean())
        assert row["recall"] == pytest.approx(hits / part["label"].sum())
        assert row["precision"] == pytest.approx(hits / part["selected"].sum())
        false_alarms = (part["selected"] & ~part["label"]).sum()
        assert row["false_positive_rate"] == pytest.approx(false_alarms / (~part["label"]).sum())
        assert row["ece"] == pytest.approx(expected_calibration_error(part["label"], part["score"]))
        assert row["students"] == part["student_id"].nunique()
        assert row["recall_low"] <= row["recall"] <= row["recall_high"]


def test_small_groups_are_marked_not_pooled_and_references_chosen() -> None:
    frame = _lists()
    frame.loc[frame["student_id"].str.endswith("-1"), "parent_pcs"] = "favored_a"
    config = FairnessConfig(min_students=30, min_positives=5, n_boot=50)
    measured = group_metrics(frame, group_frame(frame), config)
    table = measured.table.set_index(["grouping", "group"])
    assert not table.loc[("parent_pcs", "favored_a"), "judged"]
    assert "students 6 < 30" in table.loc[("parent_pcs", "favored_a"), "too_small_because"]
    assert table.loc[("parent_pcs", "middle"), "judged"]
    assert reference_groups(measured, config)["scholarship"] == "holder"  # the larger group
    ratios = disparities(measured, config).set_index(["grouping", "group", "metric"])
    assert ratios.loc[("parent_pcs", "favored_a", "recall"), "status"] == "too_small"
    chosen = FairnessConfig(min_students=30, min_positives=5, n_boot=50,
                            reference_groups={"sex": "F"})  # fmt: skip
    ratios = disparities(measured, chosen).set_index(["grouping", "group", "metric"])
    assert ratios.loc[("sex", "F", "recall"), "status"] == "reference"
    male = ratios.loc[("sex", "M", "recall")]
    table = measured.table.set_index(["grouping", "group"])
    expected = table.loc[("sex", "M"), "recall"] / table.loc[("sex", "F"), "recall"]
    assert male["ratio"] == pytest.approx(expected)
    inside = 0.8 <= male["ratio"] <= 1.25
    assert male["status"] == ("within_band" if inside else "out_of_band")
    with pytest.raises(ValueError, match="not among"):
        reference_groups(measured, FairnessConfig(reference_groups={"sex": "X"}))


def test_groups_and_their_wording() -> None:
    attributes = pd.DataFrame({
        "sex": ["F", "M"], "scholarship_level": pd.array([3, None], dtype="Int64"),
        "parent_pcs": ["disadvantaged", "middle"], "track": ["vocational", "general"],
        "priority_zone": ["rep", "none"], "establishment_kind": ["lycee_pro", "lycee_gt"],
    })  # fmt: skip
    groups = group_frame(attributes)
    assert groups.loc[0, "sex_x_scholarship"] == "F x holder"
    assert groups.loc[1, "scholarship"] == "unknown"
    assert groups.loc[0, "track_x_pcs"] == "vocational x disadvantaged"
    assert group_label("F x holder", "fr") == "filles x boursiers"
    assert group_label("F x holder", "en") == "girls x scholarship holders"
    with pytest.raises(ValueError, match="band"):
        FairnessConfig(band=(1.1, 1.25))
    with pytest.raises(ValueError, match="unknown groupings"):
        FairnessConfig(reference_groups={"religion": "x"})


def test_top_raising_reason_family() -> None:
    values = pd.DataFrame({
        "lates_4w": [0.5, -0.1, -0.2], "grade_mean_ytd": [0.1, 0.3, -0.1],
        "base_value": [-3.0, -3.0, -3.0],
    })  # fmt: skip
    assert list(top_raising_family(values)) == ["attendance", "grades", "none"]
    groups = pd.DataFrame({"sex": ["F", "F", "M"]})
    shares = reason_families(values, groups).set_index(["group", "family"])["share"]
    assert shares[("F", "attendance")] == pytest.approx(0.5)
    assert shares[("M", "none")] == pytest.approx(1.0)


def test_the_top_raising_reason_is_chosen_as_the_shown_reasons_are() -> None:
    # Context is never a reason, however large; with the rows' values, a rise of marks that
    # the model counts against a student is not one either.
    values = pd.DataFrame({
        "track": [0.9, 0.9], "grade_mean_change_year": [0.4, 0.4], "lates_4w": [0.1, -0.1],
        "base_value": [-3.0, -3.0],
    })  # fmt: skip
    assert list(top_raising_family(values)) == ["grades", "grades"]
    frame = pd.DataFrame({
        "track": ["vocational", "general"], "grade_mean_change_year": [2.6, -1.5],
        "lates_4w": [3.0, 0.0],
    })  # fmt: skip
    assert list(top_raising_family(values, frame)) == ["attendance", "grades"]


def _bootstrap(center: float, tail: float, beyond: int, n: int = 1000) -> np.ndarray:
    """Hand-made ratio replicates: `n - beyond` at `center`, `beyond` at `tail`."""
    return np.concatenate([np.full(n - beyond, center), np.full(beyond, tail)])


def test_an_uncorrected_interval_outside_the_band_is_not_enough() -> None:
    from training.fairness.correction import band_p_value, corrected_band_test, interval_at

    noisy = _bootstrap(0.6, 0.9, 20)  # 2 % of replicates inside the band: p = 0.04
    assert band_p_value(noisy, (0.8, 1.25)) == pytest.approx(0.04)
    assert interval_at(noisy, 0.95)[1] < 0.8  # the uncorrected interval lies outside
    family = {("sex", "F"): noisy, **{("pcs", str(i)): _bootstrap(1.0, 1.1, 500) for i in range(4)}}
    for method in ("bonferroni", "holm"):
        tested = corrected_band_test(family, (0.8, 1.25), 0.05, method)
        row = tested.loc[[("sex", "F")]].iloc[0]
        assert row["tests"] == 5 and not row["out_of_band"]
        assert row["adjusted_level"] == pytest.approx(0.99)  # 1 - 0.05 / 5
        assert row["adjusted_high"] > 0.8  # the corrected interval meets the band
        assert not tested["out_of_band"].any()
    alone = corrected_band_test({("sex", "F"): noisy}, (0.8, 1.25), 0.05, "bonferroni")
    assert alone["out_of_band"].iloc[0] and alone["adjusted_level"].iloc[0] == pytest.approx(0.95)


def test_a_corrected_interval_outside_the_band_blocks_and_holm_steps_down() -> None:
    from training.fairness.correction import corrected_band_test

    clear = _bootstrap(0.5, 0.9, 2)  # p = 0.004 < 0.05 / 5
    high = _bootstrap(1.6, 1.0, 2)  # above the band, p = 0.004
    family = {"F": clear, "H": high, **{str(i): _bootstrap(1.0, 1.1, 500) for i in range(3)}}
    for method in ("bonferroni", "holm"):
        tested = corrected_band_test(family, (0.8, 1.25), 0.05, method)
        assert list(tested.index[tested["out_of_band"]]) == ["F", "H"]
        assert tested.loc["F", "adjusted_high"] < 0.8 and tested.loc["H", "adjusted_low"] > 1.25
    # Holm tests the second ratio at 1 - 0.05 / 1 once the first is out: Bonferroni does not.
    pair = {"F": clear, "G": _bootstrap(0.6, 0.9, 20)}
    bonferroni = corrected_band_test(pair, (0.8, 1.25), 0.05, "bonferroni")
    holm = corrected_band_test(pair, (0.8, 1.25), 0.05, "holm")
    assert list(bonferroni["out_of_band"]) == [True, False]
    assert list(holm["out_of_band"]) == [True, True]
    assert holm.loc["G", "adjusted_level"] == pytest.approx(0.95)
    assert bonferroni.loc["G", "adjusted_level"] == pytest.approx(0.975)
    with pytest.raises(ValueError, match="correction"):
        corrected_band_test(pair, (0.8, 1.25), 0.05, "none")  # type: ignore[arg-type]


def test_sensitive_groups_are_judged_within_each_kind_of_establishment() -> None:
    from training.fairness.audit import FairnessAudit
    from training.fairness.disparities import judge_recall, ratio_replicates, within_kind

    frame = _lists(establishments=6)
    vocational = frame["uai"].str[5:7].astype(int) >= 3
    frame.loc[vocational, "establishment_kind"] = "lycee_pro"
    config = FairnessConfig(min_students=10, min_positives=5, min_establishments=2, n_boot=100)
    groups = group_frame(frame)
    kinds = within_kind(frame, groups, config)
    assert set(kinds.metrics["kind"]) == {"college", "lycee_pro"}
    assert "establishment_kind" not in set(kinds.metrics["grouping"])
    ranked = frame.sort_values(["uai", "as_of", "score"], ascending=[True, True, False])
    frame["selected"] = frame.index.isin(ranked.groupby(["uai", "as_of"]).head(4).index)
    for kind, part in frame.groupby("establishment_kind"):
        girls = part[part["sex"] == "F"]
        table = kinds.metrics
        row = table[(table["kind"] == kind) & (table["grouping"] == "sex")
                    & (table["group"] == "F")].iloc[0]  # fmt: skip
        expected = (girls["selected"] & girls["label"]).sum() / girls["label"].sum()
        assert row["recall"] == pytest.approx(expected)
    judged = judge_recall(kinds.disparities, kinds.replicates, config,
                          ("sex", "scholarship"), ("kind", "grouping", "group"))  # fmt: skip
    family = judged[judged["in_family"]]
    assert set(family["grouping"]) <= {"sex", "scholarship"}
    assert (family["tests"] == len(family)).all() and len(family) >= 2
    assert (family["adjusted_level"] >= 0.95).all()
    measured = group_metrics(frame, groups, config)
    pooled = judge_recall(disparities(measured, config), ratio_replicates(measured, config),
                          config)  # fmt: skip
    empty = pd.DataFrame()
    audit = FairnessAudit(config, {}, measured.table, pooled, {}, empty, empty, empty, empty,
                          empty, {}, kinds.metrics, judged,
                          gate_scope="within_establishment_kind", gate_table=judged)  # fmt: skip
    gate = audit.gate()
    assert gate["scope"] == "within_establishment_kind" and gate["correction"] == "holm"
    # What `run_audit` judges: the sensitive groups pooled over kinds and within each kind,
    # one family corrected for its number of ratios.
    from training.fairness.audit import ALL_KINDS, _gate_family

    scope, table = _gate_family(pooled, ratio_replicates(measured, config), kinds, judged, config)
    combined = table[table["in_family"]]
    assert scope == "pooled_and_within_establishment_kind"
    assert set(combined["kind"]) == {ALL_KINDS, "college", "lycee_pro"}
    assert set(combined["grouping"]) <= set(SENSITIVE_GROUPINGS)
    assert (combined["tests"] == len(combined)).all() and len(combined) > len(family)
    assert gate["tests"] == len(family)
    assert gate["adjusted_level"] == pytest.approx(1 - 0.05 / len(family))
    assert gate["across_kinds"]["judged"] is False
    assert gate["passed"] == (not judged["out_of_band_corrected"].any())
