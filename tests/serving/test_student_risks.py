"""Every student's risk of a week held column-wise (`serving.weekly.student_risks`): the same
pairs, lookups and duplicates as the Python pairs it replaced, compact when it travels
(a slice of a larger array does not carry the whole buffer along), and the duplicates of each
establishment told once for the week (`serving.scoring.week.week_candidates`)."""

from __future__ import annotations

import pickle
import random
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from serving.scoring.week import week_candidates
from serving.weekly.student_risks import StudentRisks, WeekRisks


def _pairs(generator: random.Random, size: int, ids: int = 50) -> list[tuple[str, float]]:
    return [
        (f"S{generator.randrange(ids):03d}é", round(generator.random(), 3)) for _ in range(size)
    ]


@pytest.mark.parametrize("seed", range(20))
def test_the_pairs_and_lookups_are_those_of_the_python_pairs(seed: int) -> None:
    generator = random.Random(seed)
    pairs = _pairs(generator, generator.randrange(0, 40))
    risks = StudentRisks.from_pairs(pairs)
    assert len(risks) == len(pairs)
    assert risks.pairs() == pairs
    positions = np.array(sorted(generator.sample(range(len(pairs)), len(pairs) // 2)), dtype=int)
    assert risks.pairs(positions) == [pairs[i] for i in positions]
    wanted = {generator.choice(pairs)[0] for _ in range(3)} if pairs else set()
    wanted |= {"absent"}
    assert risks.risk_of(wanted) == {s: r for s, r in pairs if s in wanted}
    assert risks.among(wanted).tolist() == [s in wanted for s, _ in pairs]
    assert risks.has_duplicates() == (len({s for s, _ in pairs}) != len(pairs))
    # Every establishment's at once, as one dict of every pair would (the last one wins).
    other = _pairs(generator, 10)
    week = WeekRisks([risks, StudentRisks.from_pairs(other)])
    everyone = dict(pairs + other)
    assert dict(week) == everyone and len(week) == len(everyone)
    assert week.present(wanted) == wanted & set(everyone)
    assert week.risk_of(wanted) == {s: r for s, r in everyone.items() if s in wanted}
    parts = [risks, StudentRisks.from_pairs(()), StudentRisks.from_pairs(other)]
    flags = WeekRisks(parts).among_parts(wanted)
    assert [f.tolist() for f in flags] == [p.among(wanted).tolist() for p in parts]
    assert WeekRisks([]).among_parts(wanted) == [] and WeekRisks([]).risk_of(wanted) == {}


def test_a_slice_travels_without_the_array_it_was_cut_from() -> None:
    everyone = pa.array([f"S{i:08d}" for i in range(100_000)])
    risks = np.linspace(0, 1, 100_000)
    part = StudentRisks(everyone.slice(500, 300), risks[500:800], distinct=True)
    sent = pickle.dumps(part)
    assert len(sent) < 20_000  # 300 ids and risks, not 100,000
    back = pickle.loads(sent)
    assert back == part and back.pairs() == part.pairs() and not back.has_duplicates()
    assert back != StudentRisks(everyone.slice(500, 300), risks[501:801])


def test_ids_and_risks_must_match() -> None:
    with pytest.raises(ValueError, match="3 student ids but 2 risks"):
        StudentRisks(pa.array(["a", "b", "c"]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="without a student id"):
        StudentRisks(pa.array(["a", None]), np.array([0.1, 0.2]))


@pytest.mark.parametrize("seed", range(30))
def test_each_establishments_duplicates_are_told_once_for_the_week(seed: int) -> None:
    generator = random.Random(seed)
    uais = ["0750001A", "0750002B", "0690003C", "0290004D"]
    size = generator.randrange(0, 60)
    rows = [(generator.choice(uais), f"S{generator.randrange(40):03d}") for _ in range(size)]
    if seed % 2 == 0:  # a feature set's order: by student id
        rows.sort(key=lambda row: row[1])
    frame = pd.DataFrame(
        {"uai": pd.Series([u for u, _ in rows], dtype="str"),
         "student_id": pd.Series([s for _, s in rows], dtype="str")}
    )  # fmt: skip
    risks = np.array([generator.random() for _ in rows])
    candidates = week_candidates(SimpleNamespace(frame=frame), risks)  # type: ignore[arg-type]
    assert sorted(candidates) == sorted({u for u, _ in rows})
    for uai, (positions, found) in candidates.items():
        own = [row for row in range(len(rows)) if rows[row][0] == uai]
        assert positions.tolist() == own
        assert found.pairs() == [(rows[row][1], float(risks[row])) for row in own]
        ids = [rows[row][1] for row in own]
        assert found.has_duplicates() == (len(set(ids)) != len(ids))
