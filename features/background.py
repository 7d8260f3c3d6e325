"""One call run in a thread of its own while the caller goes on, as a `Future`.

The weekly run overlaps work that mostly waits outside the GIL (DuckDB, Parquet writing,
hashing, imports) with its own Python work: the model loading while the extraction is
validated, the week's event sums written and its snapshot staged while the lists are
explained. `Future.result()` waits and raises what the call raised.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["in_background"]

P = ParamSpec("P")
T = TypeVar("T")


def in_background(
    name: str, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> Future[T]:
    """`function(*args, **kwargs)` started in a thread named after `name`."""
    executor = ThreadPoolExecutor(1, thread_name_prefix=name)
    try:
        return executor.submit(function, *args, **kwargs)
    finally:
        executor.shutdown(wait=False)  # the thread ends with the call
