"""Identities: a fingerprint of training data and a hash naming a model.

Like dssg/triage's `_model_hash`, a model's identity is a hash of its class, its parameters,
the fingerprint of the data it was trained on and its seed: two runs that produce the same
identity trained the same model on the same rows, so their results must agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from features.jsonio import canonical, plain, sha256

__all__ = ["frame_fingerprint", "model_hash"]


def frame_fingerprint(frame: pd.DataFrame, label: pd.Series | np.ndarray | None = None) -> str:
    """SHA-256 of a frame's column names, values (row order included) and optional labels."""
    digest = hashlib.sha256()
    digest.update(canonical([str(c) for c in frame.columns], spaced=True).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    if label is not None:
        digest.update(np.asarray(label, dtype="float64").tobytes())
    return digest.hexdigest()


def model_hash(class_path: str, params: Mapping[str, Any], data_fingerprint: str, seed: int) -> str:
    """SHA-256 of the model class, its parameters, the training-data fingerprint and the seed."""
    payload = {
        "class": class_path,
        "params": plain(params),
        "data": data_fingerprint,
        "seed": seed,
    }
    return sha256(payload, spaced=True)
