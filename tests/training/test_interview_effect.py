"""The regression-discontinuity estimate on rankings built here, where the truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.interview_effect import estimate_interview_effect, running_variable


def _ranking(jump: float, *, establishments: int = 6, weeks: int = 5, candidates: int = 40,
             capacity: int = 4, slope: float = -0.5, seed: int = 0) -> pd.DataFrame:  # fmt: skip
    """Every candidate of every establishment-week, with an outcome linear in the running
    variable, `jump` higher inside the slots, plus a small per-establishment offset."""
    rng = np.random.default_rng(seed)
    frames = []
    for uai in range(establishments):
        offset = rng.normal(0, 0.01)
        for week in range(weeks):
            rank = np.arange(1, candidates + 1)
            x = (rank - capacity - 0.5) / capacity
            left = 0.2 + offset + slope * x + jump * (rank <= capacity)
            frames.append(pd.DataFrame({
                "uai": f"0350{uai:03d}A", "week": week, "rank": rank, "capacity": capacity,
                "candidates": candidates, "left": left,
            }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def test_running_variable_is_negative_inside_the_slots() -> None:
    frame = _ranking(0.0, establishments=1, weeks=1, candidates=10, capacity=3)
    x = running_variable(frame)
    assert (x[:3] < 0).all() and (x[3:] > 0).all()
    assert x[2] == pytest.approx(-0.5 / 3) and x[3] == pytest.approx(0.5 / 3)  # in slots


@pytest.mark.parametrize("jump", [-0.08, 0.0, 0.05])
def test_finds_the_jump_at_the_cut(jump: float) -> None:
    estimate = estimate_interview_effect(_ranking(jump), bandwidth=2.0, n_boot=200)
    # Lines fitted within the same establishment shift hold exactly: the jump comes back.
    assert estimate.effect == pytest.approx(jump, abs=0.01)
    low, high = estimate.interval
    assert low <= jump + 1e-9 and jump - 1e-9 <= high
    assert estimate.establishments == 6 and estimate.first_stage is None
    assert estimate.relative == pytest.approx(jump / estimate.leaving_not_invited)


def test_rows_beyond_the_bandwidth_do_not_count() -> None:
    frame = _ranking(-0.05)
    far = np.abs(running_variable(frame)) >= 2.0
    changed = frame.assign(left=np.where(far, 1.0 - frame["left"], frame["left"]))
    first = estimate_interview_effect(frame, bandwidth=2.0, n_boot=50)
    second = estimate_interview_effect(changed, bandwidth=2.0, n_boot=50)
    assert first == second
    wide = estimate_interview_effect(changed, bandwidth=6.0, n_boot=50)
    assert wide.effect != pytest.approx(first.effect, abs=1e-3)


def test_the_interval_is_seeded() -> None:
    rng = np.random.default_rng(4)
    frame = _ranking(-0.05)
    frame["left"] = rng.random(len(frame)) < frame["left"].clip(0, 1)
    same = [estimate_interview_effect(frame, bandwidth=1.0, n_boot=100, seed=7) for _ in range(2)]
    assert same[0] == same[1]
    other = estimate_interview_effect(frame, bandwidth=1.0, n_boot=100, seed=8)
    assert other.effect == same[0].effect and other.interval != same[0].interval


def test_fuzzy_divides_by_the_jump_in_interviews() -> None:
    frame = _ranking(-0.04, weeks=4)
    inside = frame["rank"] <= frame["capacity"]
    # Half of those outside are interviewed a later week: the jump in interviews is 0.5.
    frame["treated"] = inside | (frame["week"] % 2 == 0)
    estimate = estimate_interview_effect(frame, bandwidth=2.0, treated="treated", n_boot=100)
    assert estimate.first_stage == pytest.approx(0.5, abs=1e-9)
    assert estimate.effect == pytest.approx(-0.08, abs=0.02)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="left"), r"no column\(s\) \['left'\]"),
        (lambda f: f.assign(rank=f["rank"].where(f.index != 3, 0)), "column 'rank'.*row 3"),
        (
            lambda f: f.assign(left=f["left"].where(f.index != 5)),
            "column 'left' is missing at row 5",
        ),
        (lambda f: f.assign(rank=f["rank"] + 100), "exceeds candidates"),
    ],
)
def test_bad_rankings_are_named(change, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        estimate_interview_effect(change(_ranking(0.0)))


def test_one_empty_side_is_an_error() -> None:
    frame = _ranking(0.0)
    with pytest.raises(ValueError, match="one side of the cut"):
        estimate_interview_effect(frame[frame["rank"] > frame["capacity"]])
