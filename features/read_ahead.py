"""Reading an iterator one item ahead, in another thread, so that two cores work at once.

`read_ahead(items)` hands over the items of `items` in their order, but computes them in a
thread of their own: while the caller works on one item (e.g. writes a batch of features to
Parquet), the next one is computed (e.g. DuckDB's query of the next as-of dates). At most two
items are alive: the one the caller holds and the one being computed (or ready); the thread
waits for the caller to ask for the next item before computing a third, so memory stays
bounded. An error while computing an item is raised to the caller when it asks for that item.
When the block ends, early or on error, the thread stops after the item it is computing and
closes `items` (a generator's `finally` then runs, e.g. closing a DuckDB cursor) before the
block is left.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["read_ahead"]

T = TypeVar("T")

# Items alive at once: the one the caller holds, and the one computed meanwhile.
_ALIVE = 2
# How often a waiting thread checks whether the caller has stopped (seconds).
_POLL = 0.05


class _End:
    """The mark that `items` has no more item."""


@dataclass(frozen=True)
class _Failure:
    """An error raised while computing the next item."""

    error: BaseException


@contextmanager
def read_ahead(items: Iterable[T]) -> Iterator[Iterator[T]]:
    """The items of `items`, in order, each computed while the caller works on the previous."""
    handed: queue.Queue[T | _End | _Failure] = queue.Queue()
    turns = threading.Semaphore(_ALIVE)
    stop = threading.Event()

    def may_compute() -> bool:
        while not stop.is_set():
            if turns.acquire(timeout=_POLL):
                return not stop.is_set()
        return False

    def produce() -> None:
        iterator = iter(items)
        last: _End | _Failure = _End()
        try:
            while may_compute():
                try:
                    item = next(iterator)
                except StopIteration:
                    break
                handed.put(item)
                del item  # the queue (then the caller) holds the only reference
        except BaseException as error:  # handed over to the caller's thread
            last = _Failure(error)
        # Closed before the end or the error is handed over: the caller then finds the
        # source's `finally` done.
        try:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        except BaseException as error:
            last = last if isinstance(last, _Failure) else _Failure(error)
        handed.put(last)

    def consume() -> Iterator[T]:
        while True:
            item = handed.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
            del item
            turns.release()  # the caller is done with the item: the thread may compute one more

    thread = threading.Thread(target=produce, name="vigie-read-ahead", daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        thread.join()
