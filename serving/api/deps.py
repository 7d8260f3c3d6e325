"""Dependencies of the routes, as `Annotated` aliases: the store, the bearer token, the
acting user; `AUTHENTICATED`, the dependency the app puts on every router but its named
public routes (`serving.api.app.PUBLIC_PATHS`); and `run_store_work`, how an async route
runs its blocking store work.

The token is checked once per request, by `authenticated`, a coroutine that runs its store
work through `run_store_work`; a route reads the actor it found through `ActorDep` (FastAPI
solves a dependency once per request). A route that serves many requests a second (the
weekly list) is a coroutine too, and runs the rest of its store work (read, audit entry) in
one call of `run_store_work`:

- on SQLite, on the event loop itself. Each statement is a read of a local file (WAL
  readers never wait for a writer) or the commit of an audit entry, which waits only for
  another process's write; a read could not return before that commit anyway, since every
  read is audited first. A trip through a worker thread costs more CPU than this work (about
  0.9 ms a request, measured: the GIL handoffs and wake-ups of the loop and the threads).
- on a server database (PostgreSQL: network round trips), in one of `STORE_THREADS` worker
  threads, so that the loop keeps serving while a statement waits on the network.

Failed authentications are throttled per client address (`serving.throttle`, in memory, per
worker process): after `API_THROTTLE.lock_after` failures from one address within
`API_THROTTLE.window` seconds, every request from it is answered 429 with `Retry-After`,
tokens unchecked, for `API_THROTTLE.lock_for` seconds. The first `API_THROTTLE.log_each`
failures of a window are audited one row each, the rest as aggregated entries
(`authentication_flood`), so a flood writes a bounded number of rows. The address is the
TCP peer, or its `X-Forwarded-For` when the peer is one of the proxies VIGIE_TRUSTED_PROXIES
names (`vigie api` passes it to uvicorn; none by default).
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from serving.db.engine import Store
from serving.services import Actor, authenticate_token
from serving.services.audit import record_anonymous_denial
from serving.throttle import Policy, Throttle

__all__ = [
    "API_THROTTLE",
    "AUTHENTICATED",
    "STORE_THREADS",
    "ActorDep",
    "AuthGuard",
    "AuthGuardDep",
    "BearerTokenDep",
    "StoreDep",
    "auth_throttle",
    "authenticate_request",
    "authenticated",
    "run_store_work",
]

# No growing delay for the API (a client retries on its own), only the lock.
API_THROTTLE = Policy(lock_after=20, window=300.0, lock_for=300.0, free=20, log_each=5)
_throttle_lock = threading.Lock()

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


def auth_throttle(app: FastAPI) -> Throttle:
    """The app's throttle of failed authentications (made on first use)."""
    throttle = getattr(app.state, "auth_throttle", None)
    if throttle is None:
        with _throttle_lock:
            throttle = getattr(app.state, "auth_throttle", None)
            if throttle is None:
                throttle = app.state.auth_throttle = Throttle(API_THROTTLE)
    return throttle


@dataclass(frozen=True)
class AuthGuard:
    """Where a request comes from, and the throttle that counts its failures."""

    throttle: Throttle
    address: str


async def auth_guard(request: Request) -> AuthGuard:
    address = request.client.host if request.client else "unknown"
    return AuthGuard(auth_throttle(request.app), address)


AuthGuardDep = Annotated[AuthGuard, Depends(auth_guard)]


def authenticate_request(store: Store, token: str | None, guard: AuthGuard) -> Actor:
    """`authenticate_token`, throttled: 429 (tokens unchecked) while the address is locked;
    a failure counted, audited on its own or in an aggregated entry (module docstring)."""
    key = f"address {guard.address}"
    check = guard.throttle.check(key)
    for note in check.notes:
        record_anonymous_denial(store, "authentication_flood", note)
    if not check.allowed:
        raise HTTPException(
            429,
            "too many failed authentications from this address: retry later",
            headers={"Retry-After": str(math.ceil(check.wait))},
        )

    def denied(problem: str) -> None:
        failure = guard.throttle.failure(key)
        if failure.log_each:
            record_anonymous_denial(store, "authenticate", f"{problem} from {guard.address}")
        for note in failure.notes:
            record_anonymous_denial(store, "authentication_flood", note)

    return authenticate_token(store, token, on_denial=denied)


async def authenticated(store: StoreDep, token: BearerTokenDep, guard: AuthGuardDep) -> Actor:
    """The user behind the bearer token; NotAuthenticated (401, audited) otherwise, 429 while
    the client's address is locked out."""
    return await run_store_work(store, authenticate_request, store, token, guard)


# On every router but the public routes (`serving.api.app`); a route names `ActorDep` to
# read the actor it found (the same dependency: solved once per request).
AUTHENTICATED = Depends(authenticated)
ActorDep = Annotated[Actor, AUTHENTICATED]
