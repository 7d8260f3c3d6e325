"""A bounded, thread-safe LRU of serialised payloads, each valid at one store revision.

The API serves an establishment's weekly list many times between two writes to it; building
it (two queries, JSON columns decoded, pydantic views, JSON encoded) costs far more than
checking that it has not changed. An entry is returned only for the revision it was built
at, so a caller that reads the current revision first can never get a stale payload; entries
of older revisions are simply replaced. Memory is bounded by the total size of the payloads
(least recently used evicted first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["CachedPayload", "PayloadCache"]


@dataclass(frozen=True)
class CachedPayload:
    """A serialised body and the few facts its reader needs without parsing it back."""

    revision: int
    body: bytes
    model_version: str
    entries: int


class PayloadCache:
    """At most `max_bytes` of payload bodies; `max_bytes=0` disables caching."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be 0 (no cache) or more")
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, CachedPayload] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0  # for tests and measurements
        self.misses = 0

    def get(self, key: Hashable, revision: int) -> CachedPayload | None:
        """The payload of `key` built at `revision`, or None."""
        with self._lock:
            payload = self._entries.get(key)
            if payload is None or payload.revision != revision:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return payload

    def put(self, key: Hashable, payload: CachedPayload) -> None:
        """Keep `payload` for `key` (replacing any other revision), evicting the least
        recently used entries past `max_bytes`. A payload larger than the bound is not kept."""
        size = len(payload.body)
        if size > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                if previous.revision > payload.revision:  # a slower reader of an older state
                    self._entries[key] = previous
                    return
                self._bytes -= len(previous.body)
            self._entries[key] = payload
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
