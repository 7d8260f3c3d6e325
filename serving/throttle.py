"""Throttling failed sign-ins and failed API authentications, per key (a username, a client
address): a growing delay after a few failures, a temporary lock after many, and what to
audit, so that a flood writes a bounded number of audit rows.

Pure logic: no store, no web framework; the clock is injected (seconds, `time.time` by
default), the state is guarded by one lock (safe from many threads) and bounded (at most
`Policy.max_keys` keys, the least recently touched forgotten first).

The state lives in memory, per process: a restart clears it, and each worker process
(several `uvicorn --workers`, several dashboard servers) counts on its own, so the limits
below are per process. That is enough to turn a password-guessing or audit-flooding loop
from hundreds of tries a second into a few per lock period.

For one key, within a window of `Policy.window` seconds from its first failure:

- failures 1..`free`: no delay;
- failure `free + k` (k >= 1): the next attempt is refused for `first_delay * 2**(k-1)`
  seconds (at most `max_delay`);
- failure `lock_after`: every attempt is refused for `lock_for` seconds (the lock), whatever
  it carries (even the right password or a valid token).

Audit: the first `log_each` failures of a window are to be logged one by one
(`Failure.log_each`); the lock is logged as one aggregated note ("N failed attempts for ...
since ..."); failures past `log_each` that did not reach a lock, and the attempts refused
while throttled, are reported as one note each when the key's window rolls over (at its
next attempt). So a flood from one key writes at most `log_each + 2` rows per window.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Check", "Failure", "Policy", "Throttle"]


@dataclass(frozen=True)
class Policy:
    lock_after: int = 10
    window: float = 900.0
    lock_for: float = 900.0
    free: int = 3
    first_delay: float = 2.0
    max_delay: float = 60.0
    log_each: int = 10
    max_keys: int = 10_000

    def __post_init__(self) -> None:
        if not 1 <= self.free <= self.lock_after or self.log_each > self.lock_after:
            raise ValueError("need 1 <= free <= lock_after and log_each <= lock_after")


@dataclass(frozen=True)
class Check:
    """Whether an attempt may go on: `wait` seconds before one is allowed (0: now)."""

    wait: float
    locked: bool = False
    notes: tuple[str, ...] = ()  # aggregated audit notes due now (a window rolled over)

    @property
    def allowed(self) -> bool:
        return self.wait <= 0


@dataclass(frozen=True)
class Failure:
    """A failure just counted: log it on its own or not, and the notes due now."""

    count: int  # failures of this key in its window, this one included
    log_each: bool
    wait: float  # seconds before the next attempt is allowed
    locked: bool  # this failure started a lock
    notes: tuple[str, ...] = ()


@dataclass
class _State:
    start: float  # the window's first failure
    failures: int = 0
    logged: int = 0  # failures logged one by one or in a lock note
    last: float = 0.0
    blocked_until: float = 0.0
    locked: bool = False
    refused: int = 0  # attempts refused while blocked, not yet reported
    refused_since: float = 0.0
    notes: list[str] = field(default_factory=list)


def _when(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


class Throttle:
    """Failure counts per key under one `Policy` (see the module's docstring)."""

    def __init__(self, policy: Policy | None = None, clock: Callable[[], float] = time.time):
        self.policy = policy or Policy()
        self._clock = clock
        self._lock = threading.Lock()
        self._states: OrderedDict[str, _State] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    def check(self, key: str) -> Check:
        """Before an attempt: may it go on? A refused attempt is counted (reported later)."""
        with self._lock:
            now = self._clock()
            state = self._current(key, now)
            if state is None:
                return Check(0.0)
            notes = self._take_notes(state)
            if now < state.blocked_until:
                if state.refused == 0:
                    state.refused_since = now
                state.refused += 1
                return Check(state.blocked_until - now, state.locked, notes)
            return Check(0.0, False, notes)

    def failure(self, key: str) -> Failure:
        """After a failed attempt: count it; how long the key now waits, what to log."""
        policy = self.policy
        with self._lock:
            now = self._clock()
            state = self._current(key, now)
            if state is None:
                state = self._states[key] = _State(start=now)
                self._evict()
            state.failures += 1
            state.last = now
            log_each = state.failures <= policy.log_each
            if log_each:
                state.logged += 1
            locked = False
            if state.failures >= policy.lock_after and not state.locked:
                locked = state.locked = True
                state.blocked_until = now + policy.lock_for
                state.notes.append(
                    f"{state.failures} failed attempts for {key} since {_when(state.start)}: "
                    f"every attempt refused until {_when(state.blocked_until)}"
                )
                state.logged = state.failures
            elif state.failures > policy.free and not state.locked:
                delay = policy.first_delay * 2 ** (state.failures - policy.free - 1)
                state.blocked_until = now + min(policy.max_delay, delay)
            elif state.locked:  # a failure at the end of a lock (its window not over yet)
                state.blocked_until = now + policy.lock_for
            return Failure(
                count=state.failures,
                log_each=log_each,
                wait=max(0.0, state.blocked_until - now),
                locked=locked,
                notes=self._take_notes(state),
            )

    def success(self, key: str) -> tuple[str, ...]:
        """After a successful attempt: forget the key; returns the notes still due."""
        with self._lock:
            state = self._current(key, self._clock())
            if state is None:
                return ()
            self._close(key, state)
            del self._states[key]
            return self._take_notes(state)

    def _current(self, key: str, now: float) -> _State | None:
        """The key's state, its window rolled over (notes kept for the next caller)."""
        state = self._states.get(key)
        if state is None:
            return None
        self._states.move_to_end(key)
        if now - state.start >= self.policy.window and now >= state.blocked_until:
            self._close(key, state)
            fresh = _State(start=now, notes=state.notes)
            self._states[key] = fresh
            return fresh
        return state

    def _close(self, key: str, state: _State) -> None:
        """The notes of a window that ends: failures and refusals not yet reported."""
        unlogged = state.failures - state.logged
        if unlogged > 0:
            state.notes.append(
                f"{unlogged} further failed attempts for {key} between {_when(state.start)} "
                f"and {_when(state.last)} (not logged one by one)"
            )
            state.logged = state.failures
        if state.refused > 0:
            state.notes.append(
                f"{state.refused} attempts for {key} refused while throttled between "
                f"{_when(state.refused_since)} and {_when(state.blocked_until)}"
            )
            state.refused = 0

    @staticmethod
    def _take_notes(state: _State) -> tuple[str, ...]:
        notes = tuple(state.notes)
        state.notes.clear()
        return notes

    def _evict(self) -> None:
        while len(self._states) > self.policy.max_keys:
            self._states.popitem(last=False)
