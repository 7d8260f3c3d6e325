"""The generator's audit probes: off by default, settable, and doing what they say."""

from __future__ import annotations

import pandas as pd
import pytest

from features.synth import generate_academie, load_config, synthesize
from features.synth.config import SynthConfig

SMALL = {"establishments": 3, "students": 600, "years": 2, "seed": 3}


@pytest.fixture(scope="module")
def academies() -> dict[str, dict[str, pd.DataFrame]]:
    plain = load_config(overrides=SMALL)
    # Many dropouts (5 times the usual rates), so that a few hundred students have some.
    rates = {level: min(5 * rate, 0.5) for level, rate in plain.dropout.annual_rate.items()}
    base = plain.override(dropout={"annual_rate": rates})
    return {
        "off": generate_academie(base),
        "proxy": generate_academie(
            base.override(audit_probes={"scholarship_proxy": {"enabled": True}})
        ),
        "bias": generate_academie(base.override(audit_probes={"label_bias": {"enabled": True}})),
    }


def test_probes_are_off_by_default_and_validated() -> None:
    config = load_config()
    assert not config.audit_probes.scholarship_proxy.enabled
    assert not config.audit_probes.label_bias.enabled
    with pytest.raises(ValueError, match="group"):
        load_config(overrides={"audit_probes": {"label_bias": {"group": "left_handed"}}})
    with pytest.raises(ValueError, match="late_factor"):
        SynthConfig.model_validate(
            config.model_dump() | {"audit_probes": {"scholarship_proxy": {"late_factor": 0.5}}}
        )


def _lates_per_student(tables: dict[str, pd.DataFrame]) -> pd.Series:
    students = tables["students"].set_index("student_id")
    lates = tables["attendance"].query("kind == 'late'").groupby("student_id").size()
    counts = lates.reindex(students.index, fill_value=0)
    return counts.groupby(students["scholarship_level"] > 0).mean()


def test_the_scholarship_proxy_changes_only_late_arrivals(academies) -> None:
    off, proxy = academies["off"], academies["proxy"]
    for table in ("establishments", "students", "enrollments", "grades", "exams", "outcomes"):
        pd.testing.assert_frame_equal(off[table], proxy[table])
    absences = [tables["attendance"].query("kind == 'absence'") for tables in (off, proxy)]
    pd.testing.assert_frame_equal(absences[0].reset_index(drop=True),
                                  absences[1].reset_index(drop=True))  # fmt: skip
    before, after = _lates_per_student(off), _lates_per_student(proxy)
    assert after[True] / after[False] > 3 * before[True] / before[False]


def _unjustified_before_exit(tables: dict[str, pd.DataFrame], sex: str) -> float:
    students = tables["students"].set_index("student_id")
    exits = tables["enrollments"].query("exit_reason == 'dropped_out'")
    exits = exits[exits["student_id"].map(students["sex"]) == sex]
    absences = tables["attendance"].query("kind == 'absence' and not justified")
    absences = absences[absences["student_id"].isin(exits["student_id"])]
    return len(absences) / max(len(exits), 1)


def test_the_label_bias_hides_girls_dropouts_only(academies) -> None:
    off, bias = academies["off"], academies["bias"]
    pd.testing.assert_frame_equal(off["outcomes"], bias["outcomes"])  # same dropouts
    pd.testing.assert_frame_equal(off["students"], bias["students"])
    girls = _unjustified_before_exit(bias, "F") / _unjustified_before_exit(off, "F")
    boys = _unjustified_before_exit(bias, "M") / _unjustified_before_exit(off, "M")
    assert girls < 0.8 and boys == pytest.approx(1.0, rel=0.15)


def test_synthesize_sets_the_switches(tmp_path) -> None:
    plain = synthesize(tmp_path / "plain", **SMALL, file_format="csv")
    probed = synthesize(tmp_path / "probed", **SMALL, file_format="csv",
                        scholarship_proxy=True, label_bias="girls")  # fmt: skip
    same = (tmp_path / "plain" / "students.csv").read_bytes()
    assert same == (tmp_path / "probed" / "students.csv").read_bytes()
    assert (tmp_path / "plain" / "attendance.csv").read_bytes() != (
        tmp_path / "probed" / "attendance.csv"
    ).read_bytes()
    assert plain.rows["students"] == probed.rows["students"]
