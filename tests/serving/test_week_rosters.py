"""`serving.scoring.week._rosters`, built column-wise: the same rosters as one step per row
(names by student id, the enrollment in force by (student id, UAI), the feature set's row
order within each establishment), and the cycle collector left as it was."""

from __future__ import annotations

import datetime as dt
import gc
from types import SimpleNamespace

import numpy as np
import pandas as pd

from serving.scoring.week import _rosters
from serving.weekly import RosterStudent


def row_by_row(frame: pd.DataFrame, names, enrollments) -> dict[str, tuple[RosterStudent, ...]]:
    rosters: dict[str, list[RosterStudent]] = {}
    for student_id, uai in zip(frame["student_id"], frame["uai"], strict=True):
        last, first = names.get(student_id, (None, None))
        since, until = enrollments.get((student_id, uai), (None, None))
        rosters.setdefault(uai, []).append(RosterStudent(student_id, last, first, since, until))
    return {uai: tuple(students) for uai, students in rosters.items()}


def test_rosters_match_one_step_per_row() -> None:
    rng = np.random.default_rng(7)
    n = 500
    frame = pd.DataFrame(
        {
            "student_id": [f"S{i:04d}" for i in rng.permutation(n)],
            "uai": [f"0{u:06d}X" for u in rng.integers(0, 9, n)],
        }
    )
    names = {s: (f"Nom{s}", None if i % 5 == 0 else f"Prénom{s}")
             for i, s in enumerate(frame["student_id"]) if i % 3}  # fmt: skip
    ended = dt.date(2026, 1, 5)
    enrollments = {
        (s, u): (dt.date(2025, 9, 1) + dt.timedelta(days=i % 40), ended if i % 4 else None)
        for i, (s, u) in enumerate(zip(frame["student_id"], frame["uai"], strict=True))
        if i % 2
    }  # fmt: skip
    enrollments[("S0001", "0999999Z")] = (dt.date(2020, 1, 1), None)  # another school's: unused
    gc.enable()
    rosters = _rosters(SimpleNamespace(frame=frame), names, enrollments)  # type: ignore[arg-type]
    assert gc.isenabled()
    expected = row_by_row(frame, names, enrollments)
    assert rosters == expected
    assert sum(len(r) for r in rosters.values()) == n and all(type(k) is str for k in rosters)
    assert any(s.last_name is None for r in rosters.values() for s in r)
    assert any(s.enrolled_until is not None for r in rosters.values() for s in r)


def test_rosters_of_no_student_and_collector_off_stays_off() -> None:
    frame = pd.DataFrame(
        {"student_id": pd.Series([], dtype=object), "uai": pd.Series([], dtype=object)}
    )
    gc.disable()
    try:
        assert _rosters(SimpleNamespace(frame=frame), {}, {}) == {}  # type: ignore[arg-type]
        assert not gc.isenabled()
    finally:
        gc.enable()
