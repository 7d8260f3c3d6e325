"""The FastAPI application: routes, error handlers, body limit, the store in `app.state`.

Every route needs a bearer token (`serving.api.deps.AUTHENTICATED`, put on each router as it
is included) except the public ones named in `PUBLIC_PATHS`, here and only here: the health
check and the API's documentation. `create_app` refuses to build an app with any other route
left open. What a signed-in user may then do is the access policy's
(`serving.services.policy`), applied by the services.

`POST /v1/score` scores and explains students from posted events through the same feature code
and scoring function as `vigie score` (`serving.scoring`); it has its own, larger body limit.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from serving.api.deps import AUTHENTICATED, authenticated
from serving.api.docs import ASSETS_PATH, DOCS_PATH, install_docs
from serving.api.errors import install_error_handlers
from serving.api.limits import BodySizeLimit
from serving.api.routes import (
    audit,
    health,
    leavers,
    lists,
    monitoring,
    records,
    score,
    solutions,
    students,
)
from serving.db.engine import Store

__all__ = ["PUBLIC_PATHS", "app_from_settings", "create_app", "refuse_open_routes", "route_guards"]

DEFAULT_MAX_BODY_BYTES = 64 * 1024
OPENAPI_PATH = "/openapi.json"
# The routes answered without a bearer token: the health check (a load balancer's probe) and
# the documentation (page, its assets, the OpenAPI description). Every other route needs one.
PUBLIC_PATHS: frozenset[str] = frozenset(
    {"/health", OPENAPI_PATH, DOCS_PATH, f"{ASSETS_PATH}/{{name}}"}
)


def create_app(store: Store, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    """The API over an open, migrated `store`."""
    from importlib.metadata import version  # the installed package's (pyproject.toml)

    app = FastAPI(
        title="Vigie API",
        version=version("vigie"),
        description="Weekly lists of students to invite, their records, interviews and "
        "dismissals; the students who left without a solution and the MLDS's contacts with "
        "them. Bearer token per user; every read of a student's record is audited.",
        # FastAPI's pages load Swagger UI and ReDoc from a CDN: /docs is served locally instead.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_PATH,
    )
    app.state.store = store
    app.add_middleware(
        BodySizeLimit,
        max_body_bytes=max_body_bytes,
        path_limits={score.PATH: max(score.SCORE_MAX_BODY_BYTES, max_body_bytes)},
    )
    install_error_handlers(app)
    install_docs(app)
    app.include_router(health.router)
    for module in (lists, students, solutions, records, audit, score, monitoring, leavers):
        app.include_router(module.router, dependencies=[AUTHENTICATED])
    refuse_open_routes(app)
    return app


def refuse_open_routes(app: FastAPI) -> None:
    """Raise unless every route of `app` but `PUBLIC_PATHS` checks the bearer token."""
    open_routes = sorted(
        path for path, guarded in route_guards(app) if not guarded and path not in PUBLIC_PATHS
    )
    if open_routes:
        raise RuntimeError(f"routes without authentication: {', '.join(open_routes)}")


def route_guards(app: FastAPI) -> list[tuple[str, bool]]:
    """(path, whether the bearer token is checked) of every route of `app`, routers'
    included."""
    guards = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        calls = [sub.call for sub in dependant.dependencies] if dependant is not None else []
        guards.append((str(route.path), authenticated in calls))
    return guards


def app_from_settings() -> FastAPI:
    """The API over the store of the settings (VIGIE_DATABASE_URL or VIGIE_HOME), migrated."""
    from serving.db import open_store
    from settings import load_settings

    settings = load_settings()
    store = open_store(
        settings.resolved_database_url, list_cache_bytes=settings.serving.list_cache_bytes
    )
    return create_app(store, max_body_bytes=settings.serving.max_body_bytes)
