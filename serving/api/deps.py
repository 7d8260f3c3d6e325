"""Dependencies of the routes, as `Annotated` aliases: the store, the acting user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.db.engine import Store
from serving.services import Actor, authenticate_token

__all__ = ["ActorDep", "StoreDep"]

_bearer = HTTPBearer(auto_error=False, description="API token from `vigie users add`.")


async def get_store(request: Request) -> Store:
    # A coroutine: an attribute read needs no trip through the thread pool.
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


def current_actor(
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The user behind the bearer token; NotAuthenticated (401, audited) otherwise."""
    return authenticate_token(store, credentials.credentials if credentials else None)


ActorDep = Annotated[Actor, Depends(current_actor)]
