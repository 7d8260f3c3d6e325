"""Dependencies of the routes, as `Annotated` aliases: the store, the bearer token, the
acting user; and `run_store_work`, how an async route runs its blocking store work.

A route that serves many requests a second (the weekly list) is a coroutine that runs all of
its store work (token check, read, audit entry) in one call of `run_store_work`:

- on SQLite, on the event loop itself. Each statement is a read of a local file (WAL
  readers never wait for a writer) or the commit of an audit entry, which waits only for
  another process's write; a read could not return before that commit anyway, since every
  read is audited first. A trip through a worker thread costs more CPU than this work (about
  0.9 ms a request, measured: the GIL handoffs and wake-ups of the loop and the threads).
- on a server database (PostgreSQL: network round trips), in one of `STORE_THREADS` worker
  threads, so that the loop keeps serving while a statement waits on the network.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.db.engine import Store
from serving.services import Actor, authenticate_token

__all__ = ["STORE_THREADS", "ActorDep", "BearerTokenDep", "StoreDep", "run_store_work"]

STORE_THREADS = 8

_bearer = HTTPBearer(auto_error=False, description="API token from `vigie users add`.")

_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


async def run_store_work(
    store: Store,
    function: Callable[_Params, _Result],
    *args: _Params.args,
    **kwargs: _Params.kwargs,
) -> _Result:
    """`function(*args, **kwargs)`: on the event loop for a local (SQLite) store, else in
    one of the `STORE_THREADS` worker threads."""
    if store.is_local:
        return function(*args, **kwargs)
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:  # one per event loop: a limiter belongs to the loop it was made in
        limiter = _limiters[loop] = CapacityLimiter(STORE_THREADS)
    call = functools.partial(function, *args, **kwargs)
    return await anyio.to_thread.run_sync(call, limiter=limiter)


async def get_store(request: Request) -> Store:
    # A coroutine: an attribute read needs no trip through the thread pool.
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The bearer token as sent, not yet checked (`authenticate_token` checks it)."""
    return credentials.credentials if credentials else None


BearerTokenDep = Annotated[str | None, Depends(bearer_token)]


def current_actor(store: StoreDep, token: BearerTokenDep) -> Actor:
    """The user behind the bearer token; NotAuthenticated (401, audited) otherwise."""
    return authenticate_token(store, token)


ActorDep = Annotated[Actor, Depends(current_actor)]
