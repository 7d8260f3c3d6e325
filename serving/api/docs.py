"""GET /docs: Swagger UI served from the files installed with Vigie, never from a CDN.

A school's intranet may have no internet access, and a public service must not tell a third
party who reads its documentation: the page, its script, style sheet and icon all come from
this server (the `swagger-ui-bundle-v2` package ships Swagger UI's distribution). Swagger UI's
online validator badge (a request to validator.swagger.io) is turned off. ReDoc, which FastAPI
would also load from a CDN, is not served.

Only the three files the page needs are served, by name: the distribution's own index.html
would load a demo API description from the internet.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException
from swagger_ui_bundle import swagger_ui_path

__all__ = ["ASSETS", "ASSETS_PATH", "DOCS_PATH", "install_docs"]

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
# File served -> its media type.
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_CACHE = "public, max-age=86400"


def install_docs(app: FastAPI) -> None:
    """Serve /docs and its assets on `app`, which must be created with `docs_url=None` and
    `redoc_url=None` (FastAPI's own pages load their assets from a CDN)."""
    directory = Path(str(swagger_ui_path))
    missing = [name for name in ASSETS if not (directory / name).is_file()]
    if missing:  # a broken install: better refuse to start than serve a blank page
        raise RuntimeError(f"Swagger UI files missing from {directory}: {', '.join(missing)}")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        assert app.openapi_url is not None
        return get_swagger_ui_html(
            openapi_url=root + app.openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def swagger_ui_asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, "no such file")
        return FileResponse(
            directory / name, media_type=media_type, headers={"Cache-Control": _CACHE}
        )
