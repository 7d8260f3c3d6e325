"""The audit finds what was planted, and only that: proof on synthetic académies.

One session fixture builds two small académies from the same seed and settings, one clean and
one with both audit probes on (`features.synth.probes`): late arrivals that encode scholarship
status, and girls' dropouts that show only a tenth of their disengagement in the records. Each
is trained (no MLflow) and audited. Both académies share settings that make the effect of a
probe easy to see with few students: more dropouts, disengagement that shows earlier, and no
built-in difference between girls and boys.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from features.synth import load_config, synthesize
from training.fairness import FairnessAudit, FairnessConfig, audited_rows, run_audit

from .conftest import fast_config

TRACKS = ("college", "general", "technological", "vocational")
AUDIT = FairnessConfig(n_boot=200, sample_rows=4000, reference_groups={"sex": "M"})


def _academie(out: Path, probed: bool) -> Path:
    base = load_config()
    rates = {level: min(rate * 5, 0.5) for level, rate in base.dropout.annual_rate.items()}
    config = base.override(
        dropout={"annual_rate": rates, "warning_lead_days": 150, "silent_share": 0.0,
                 "peak": [0.8, 1.0]},
        population={"ability_male": 0.0, "male_share": dict.fromkeys(TRACKS, 0.5)},
    )  # fmt: skip
    probes = {"scholarship_proxy": True, "label_bias": "girls"} if probed else {}
    synthesize(out, establishments=20, students=4800, years=4, seed=5, config=config, **probes)
    return out


def _audit(data: Path) -> FairnessAudit:
    from training.pipeline import train_and_evaluate
    from training.run import prepare_data

    config = fast_config(test_cadence="monthly", final_model="last_split")
    prepared = prepare_data(data, config)
    result = train_and_evaluate(prepared, config)
    rows = audited_rows(result.predictions, prepared.snapshots)
    return run_audit(rows, result.final_model, AUDIT, {"run_id": "test"})


@pytest.fixture(scope="session")
def probe_audits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FairnessAudit]:
    root = tmp_path_factory.mktemp("fairness")
    return {kind: _audit(_academie(root / kind, kind == "probed")) for kind in ("clean", "probed")}


def _recall(audit: FairnessAudit, grouping: str, group: str):  # type: ignore[no-untyped-def]
    table = audit.disparities
    return table[(table["grouping"] == grouping) & (table["group"] == group)
                 & (table["metric"] == "recall")].iloc[0]  # fmt: skip


def _proxy(audit: FairnessAudit, target: str):  # type: ignore[no-untyped-def]
    return audit.proxies.set_index("target").loc[target]


def test_the_scholarship_proxy_is_found_and_named(probe_audits) -> None:
    probed = _proxy(probe_audits["probed"], "scholarship_holder")
    clean = _proxy(probe_audits["clean"], "scholarship_holder")
    assert probed["flagged"] and probed["auc"] >= AUDIT.proxy_auc_threshold
    assert not clean["flagged"] and clean["auc"] < AUDIT.proxy_auc_threshold
    carriers = probed["carried_by"].split(", ")
    assert {"lates_ytd", "lates_4w"} & set(carriers[:2])
    assert "lates_ytd" not in _proxy(probe_audits["clean"], "scholarship_holder")["carried_by"]


def test_the_label_bias_against_girls_is_out_of_band(probe_audits) -> None:
    girls = _recall(probe_audits["probed"], "sex", "F")
    assert girls["judged"] and girls["status"] == "out_of_band"
    assert girls["ratio"] < AUDIT.band[0] and girls["ci_outside_band"]
    # The gate judges girls against boys within each kind of establishment, with intervals
    # corrected for the number of ratios judged: the planted bias still blocks.
    gate = probe_audits["probed"].gate()
    assert not gate["passed"] and gate["rule"] == "corrected_interval"
    assert gate["tests"] >= 1 and gate["adjusted_level"] > AUDIT.level
    assert any(item["grouping"] == "sex" and item["group"] == "F" and item["ratio_high"] < 0.8
               for item in gate["out_of_band"])  # fmt: skip


def test_the_clean_academie_is_not_flagged_beyond_its_intervals(probe_audits) -> None:
    clean = probe_audits["clean"]
    girls = _recall(clean, "sex", "F")
    assert girls["judged"] and not girls["ci_outside_band"]
    assert girls["ratio_low"] <= AUDIT.band[1] and girls["ratio_high"] >= AUDIT.band[0]
    sensitive = clean.disparities[
        clean.disparities["grouping"].isin(["sex", "scholarship", "sex_x_scholarship"])
        & (clean.disparities["metric"] == "recall")
    ]
    assert not sensitive["ci_outside_band"].any(), sensitive
    assert clean.gate()["passed"], clean.gate()["out_of_band"]
    assert not clean.proxies.set_index("target").loc[["sex_female", "scholarship_holder"],
                                                     "flagged"].any()  # fmt: skip


def test_report_is_self_contained_and_holds_aggregates_only(probe_audits) -> None:
    from training.fairness.figures import all_figures
    from training.fairness.report import audit_to_json, render_html

    audit = probe_audits["probed"]
    figures = all_figures(audit, "fr")  # drawn once: only their labels change with the language
    for language, words in (("fr", "Visa de l'inspection"), ("en", "Inspector's sign-off")):
        page = render_html(audit, figures, language)
        assert words in html.unescape(page) and "data:image/png;base64," in page
        assert "Holm" in page  # the gate's correction and adjusted level are said
        assert "http://" not in page and "https://" not in page and "<script" not in page
    text = audit_to_json(audit)
    data = json.loads(text)
    assert data["gate"]["metric"] == "recall" and data["gate"]["correction"] == "holm"
    tests = data["gate"]["tests"]
    assert tests >= 1 and data["gate"]["adjusted_level"] == pytest.approx(1 - 0.05 / tests)
    assert "within_kind_disparities" in data and "within_kind_group_metrics" in data
    assert {"group_metrics", "disparities", "proxies", "reason_families"} <= set(data)
    assert "student_id" not in text  # no row-level data
    for row in data["group_metrics"]:
        if not row["judged"]:  # too small to judge: sizes only, small counts masked
            assert row["recall"] is None and row["selection_rate"] is None
        for count in ("students", "positive_students"):
            assert row[count] is None or row[count] >= 5
    judged = {(row["grouping"], row["group"]) for row in data["group_metrics"] if row["judged"]}
    assert {(row["grouping"], row["group"]) for row in data["reason_families"]} <= judged
