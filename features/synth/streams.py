"""Independent random streams, one per component and school year.

Each component draws from its own generator, derived from the seed and a stable name, so that
changing how one component draws (more grades, another attendance rule) does not shift the
random numbers of the others: the rest of the académie stays the same.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["calibrate_intercept", "sigmoid", "stream", "weighted_choice"]


def stream(seed: int, component: str, *keys: int) -> np.random.Generator:
    """The generator of `component` (e.g. "attendance") for `keys` (e.g. the year index)."""
    name_key = zlib.crc32(component.encode("utf-8"))
    return np.random.default_rng([seed, name_key, *keys])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def calibrate_intercept(
    linear: np.ndarray, target: float, weights: np.ndarray | None = None
) -> float:
    """The intercept `a` such that the mean of sigmoid(a + linear) equals `target`.

    Used to hit a published or assumed rate exactly while keeping the relative effects
    (odds ratios) of the attributes: bisection on a monotone function.
    """
    if len(linear) == 0 or target <= 0:
        return -30.0
    if target >= 1:
        return 30.0
    low, high = -30.0 - float(linear.max()), 30.0 - float(linear.min())
    for _ in range(60):
        middle = (low + high) / 2
        mean = float(np.average(sigmoid(middle + linear), weights=weights))
        if mean < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def weighted_choice(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of `weights` (rows need not sum to 1; all-zero rows give -1)."""
    totals = weights.sum(axis=1)
    cumulative = np.cumsum(weights, axis=1)
    draws = rng.random(len(weights)) * totals
    chosen = (cumulative <= draws[:, None]).sum(axis=1)
    chosen = np.minimum(chosen, weights.shape[1] - 1)
    return np.where(totals > 0, chosen, -1)
