"""The API's documentation pages load nothing from another host (issue 11: a school intranet
may have no internet, and a public service must not leak its users' visits to a CDN)."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx

from tests.serving.conftest import LiveServer, World

CHROMIUM = "/usr/bin/chromium"


class _References(HTMLParser):
    """Every URL an HTML page makes the browser load (src and href attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def test_docs_page_loads_only_local_assets(api: httpx.Client) -> None:
    page = api.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # No absolute URL of any host in the page: neither in its tags nor in its script.
    assert re.findall(r"(?i)\b(?:https?:)?//[a-z0-9.-]+", page.text) == []
    urls = references(page.text)
    assert len(urls) == 3, urls  # style sheet, icon, script
    for url in urls:
        assert url.startswith("/docs/assets/"), url
        asset = api.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert asset.headers["content-type"].split(";")[0] == EXPECTED_TYPES[suffix]
        assert len(asset.content) > 500
    script = api.get("/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in script
    assert ".swagger-ui" in api.get("/docs/assets/swagger-ui.css").text
    # The OpenAPI document the page reads, also local; the online validator badge is off.
    assert "url: '/openapi.json'" in page.text
    assert '"validatorUrl": null' in page.text


def test_no_page_from_a_cdn_and_no_other_file_served(api: httpx.Client) -> None:
    assert api.get("/redoc").status_code == 404  # FastAPI's ReDoc page loads from a CDN
    assert api.get("/docs/oauth2-redirect").status_code == 404
    # The distribution's own index.html would load a demo API description from the internet.
    for name in ("index.html", "swagger-initializer.js", "..%2F..%2F__init__.py"):
        response = api.get(f"/docs/assets/{name}")
        assert response.status_code == 404, name
        assert response.json() == {"detail": "no such file"} or name.startswith("..")


def test_docs_behind_a_path_prefix(world: World) -> None:
    """Behind a reverse proxy that strips a prefix (ASGI root_path), the page's URLs keep it."""
    from serving.api import create_app

    async def get_docs() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(world.store), root_path="/vigie")
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/docs")

    page = asyncio.run(get_docs())
    urls = references(page.text)
    assert urls and all(url.startswith("/vigie/docs/assets/") for url in urls)
    assert "url: '/vigie/openapi.json'" in page.text


def test_swagger_ui_renders_in_chromium_from_this_server_only(
    api: httpx.Client, live_server: LiveServer, tmp_path: Path
) -> None:
    """In a real browser: the page draws the API's operations, and every request it makes
    (script, style sheet, icon, OpenAPI document) goes to this server, none elsewhere."""
    from playwright.sync_api import expect, sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{live_server.url}/docs")
            expect(page.get_by_text("Vigie API").first).to_be_visible(timeout=30_000)
            expect(page.get_by_text("/v1/students/{student_id}").first).to_be_visible()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=tmp_path / "docs.png", full_page=True)
        finally:
            browser.close()
    assert f"{live_server.url}/openapi.json" in requested
    assert f"{live_server.url}/docs/assets/swagger-ui-bundle.js" in requested
    elsewhere = [url for url in requested if not url.startswith(f"{live_server.url}/")]
    assert elsewhere == []
