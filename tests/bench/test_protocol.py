"""The evaluation protocol's report: which baseline LightGBM is judged against."""

from __future__ import annotations

from typing import Any

from bench.protocol import best_baseline, diff_vs_best


def _replay(order: list[str]) -> dict[str, Any]:
    # Figures of `vigie synth --scenario weak_ramp` (20 x 8,000, default seed): the logistic
    # model and the hand-weighted score both reach 49 dropouts 4 weeks ahead, LightGBM 60.
    reached = {"lightgbm": 60, "logistic": 49, "hand_weighted": 49, "rule_abc": 37,
               "ceiling_latent": 63}  # fmt: skip
    lows = {"logistic": 2.0, "hand_weighted": 0.0, "rule_abc": 7.5, "ceiling_latent": -11.0}
    return {
        "models": {name: {"dropouts_reached_ahead": reached[name]} for name in order},
        "lift": {name: _lift(reached["lightgbm"] - reached[name], lows[name])
                 for name in order if name != "lightgbm"},
    }  # fmt: skip


def _lift(diff: float, low: float) -> dict[str, float]:
    prefix = "dropouts_reached_ahead_diff"
    return {prefix: diff, f"{prefix}_low": low, f"{prefix}_high": 24.0}


def test_a_tie_is_judged_against_the_baseline_beaten_by_least_whatever_the_order() -> None:
    for order in (
        ["lightgbm", "logistic", "hand_weighted", "rule_abc", "ceiling_latent"],
        ["ceiling_latent", "rule_abc", "hand_weighted", "logistic", "lightgbm"],
    ):
        replay = _replay(order)
        assert best_baseline(replay) == "hand_weighted"
        verdict = diff_vs_best(replay)
        assert verdict is not None
        assert (verdict["best"], verdict["low"], verdict["gone"]) == ("hand_weighted", 0.0, True)


def test_the_baseline_reaching_most_wins_and_the_ceiling_never_counts() -> None:
    replay = _replay(["lightgbm", "logistic", "hand_weighted", "rule_abc", "ceiling_latent"])
    replay["models"]["hand_weighted"]["dropouts_reached_ahead"] = 48
    assert best_baseline(replay) == "logistic"
    assert diff_vs_best(replay)["gone"] is False  # type: ignore[index]
    replay["lift"].pop("logistic")  # a baseline without a paired difference still ranks
    assert best_baseline(replay) == "logistic"
