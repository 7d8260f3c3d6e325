"""The FastAPI application: routes, error handlers, body limit, the store in `app.state`.

`POST /v1/score` scores and explains students from posted events through the same feature code
and scoring function as `vigie score` (`serving.scoring`); it has its own, larger body limit.
"""

from __future__ import annotations

from fastapi import FastAPI

from serving.api.docs import install_docs
from serving.api.errors import install_error_handlers
from serving.api.limits import BodySizeLimit
from serving.api.routes import audit, health, lists, records, score, students
from serving.db.engine import Store

__all__ = ["app_from_settings", "create_app"]

DEFAULT_MAX_BODY_BYTES = 64 * 1024


def create_app(store: Store, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    """The API over an open, migrated `store`."""
    from importlib.metadata import version  # the installed package's (pyproject.toml)

    app = FastAPI(
        title="Vigie API",
        version=version("vigie"),
        description="Weekly lists of students to invite, their records, interviews and "
        "dismissals. Bearer token per user; every read of a student's record is audited.",
        # FastAPI's pages load Swagger UI and ReDoc from a CDN: /docs is served locally instead.
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    app.add_middleware(
        BodySizeLimit,
        max_body_bytes=max_body_bytes,
        path_limits={score.PATH: max(score.SCORE_MAX_BODY_BYTES, max_body_bytes)},
    )
    install_error_handlers(app)
    install_docs(app)
    for module in (health, lists, students, records, audit, score):
        app.include_router(module.router)
    return app


def app_from_settings() -> FastAPI:
    """The API over the store of the settings (VIGIE_DATABASE_URL or VIGIE_HOME), migrated."""
    from serving.db import open_store
    from settings import load_settings

    settings = load_settings()
    store = open_store(
        settings.resolved_database_url, list_cache_bytes=settings.serving.list_cache_bytes
    )
    return create_app(store, max_body_bytes=settings.serving.max_body_bytes)
