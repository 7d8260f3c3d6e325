"""The fairness audit's rows of a cluster training, kept on the workers.

Each académie's tested rows, as the audit reads them (`training.fairness.audited_rows`:
scores, features and group attributes), are made by a task and stay on its worker. The
client gathers only the columns the audit of the lists reads for every row
(`training.fairness.audit.LIST_COLUMNS`, sorted as `audited_rows` sorts them); the
explanations and proxies read a sample of rows with their features, which `sampled` fetches
from the workers. The audit is then `run_audit` of the whole rows: the same sample, the same
tables (tests/cluster/test_cluster_training_crossfit.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from training.fairness.audit import AUDIT_ORDER, LIST_COLUMNS

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["AuditedRows"]

class AuditedRows:
    """Every académie's audited rows (`parts`: futures, one frame each), of which `rows`
    holds the list columns of every row in the audit's order; `sampled` gives whole rows of
    it, `release` frees the parts on the workers."""

    def __init__(self, client: Client, parts: Sequence[Future]):
        self._client = client
        self._parts = list(parts)
        narrow = client.gather(
            [client.submit(_list_columns, part, key=f"list-columns-{part.key}")
             for part in self._parts]
        )  # fmt: skip
        origin = np.concatenate([np.full(len(frame), i) for i, frame in enumerate(narrow)])
        position = np.concatenate([np.arange(len(frame)) for frame in narrow])
        rows = pd.concat(narrow, ignore_index=True).assign(_part=origin, _position=position)
        rows = rows.sort_values(AUDIT_ORDER, kind="stable").reset_index(drop=True)
        self._origin = rows.pop("_part").to_numpy()
        self._position = rows.pop("_position").to_numpy()
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def sampled(self, labels: pd.Index) -> pd.DataFrame:
        """The whole rows (features included) of `labels` of `rows`, in that order."""
        at = self.rows.index.get_indexer(labels)
        if (at < 0).any():
            raise KeyError("labels not in the audited rows")
        parts, positions = self._origin[at], self._position[at]
        wanted = sorted(set(parts.tolist())) or [0]  # no label: the columns, from a part
        taken = self._client.gather([
            # Keyed by the positions too (Dask's default key): each call its own rows.
            self._client.submit(_take, self._parts[part], positions[parts == part])
            for part in wanted
        ])  # fmt: skip
        # Each part's rows come back in the labels' order within it: put them back together.
        frame = pd.concat(taken, ignore_index=True)
        order = np.concatenate([np.flatnonzero(parts == part) for part in wanted])
        frame.index = pd.Index(order)
        return frame.sort_index().set_axis(labels, axis=0)

    def release(self) -> None:
        """Free the parts on the workers (nothing can be sampled after)."""
        for part in self._parts:
            part.release()
        self._parts = []


def _list_columns(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.loc[:, list(LIST_COLUMNS)]


def _take(rows: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    return rows.iloc[positions]
