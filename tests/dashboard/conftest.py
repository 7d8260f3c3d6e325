"""The dashboard tests' world (built once per session, see `world.py`) and AppTest helpers.

The dashboard reads its settings from the environment once per process (cached resources),
so the session sets them once, before any app runs."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import app_dashboard
from app_dashboard import runtime
from app_dashboard.plain import WORD_JOINER
from serving.db import Store
from serving.services import Actor, authenticate_password
from tests.dashboard.world import PASSWORD, USERNAMES, DashboardWorld, build_world
from tests.mlflow_uris import mlflow_pointed_at

ENTRY = str(Path(app_dashboard.__file__).parent / "streamlit_app.py")
TIMEOUT = 120  # seconds for one script run: the first loads MLflow, LightGBM and the model


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardWorld]:
    built = build_world(tmp_path_factory.mktemp("dashboard"))
    with pytest.MonkeyPatch.context() as patch:
        for key, value in built.environment().items():
            patch.setenv(key, value)
        yield built


@pytest.fixture(autouse=True)
def _settings_of_the_world(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test of the world runs with the world's settings and MLflow pointed at the world's
    store, whatever the tests run before it in this process set (`mlflow.set_tracking_uri`
    outlives a test, and another directory's session fixture may have set the variables
    since); put back as they were after the test."""
    if "world" not in request.fixturenames:
        yield
        return
    world: DashboardWorld = request.getfixturevalue("world")
    with mlflow_pointed_at(world.tracking_uri, world.environment()):
        yield


@pytest.fixture(scope="session")
def store(world: DashboardWorld) -> Iterator[Store]:
    opened = Store.from_url(world.database_url)
    yield opened
    opened.dispose()


def sign_in(store: Store, role: str) -> Actor:
    """The actor a password login of the role's test user gives."""
    return authenticate_password(store, USERNAMES[role], PASSWORD)


def app_as(store: Store, role: str | None, language: str = "fr") -> AppTest:
    """An AppTest of the dashboard, signed in as the test user of `role` (None: signed out)."""
    assert os.environ.get("VIGIE_DATABASE_URL"), "the world fixture sets the environment"
    app = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    if role is not None:
        app.session_state[runtime.ACTOR] = sign_in(store, role)
    app.session_state[runtime.LANGUAGE_TOGGLE] = language == "en"
    return app


def shown(markdown: str) -> str:
    """What a reader sees of a Markdown body the dashboard escaped (`app_dashboard.plain`)."""
    return _ESCAPE.sub(r"\1", markdown).replace(WORD_JOINER, "")


_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def texts(app: AppTest) -> str:
    """Everything the page wrote, as one string (to check what leaks and what shows)."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "error",
        "warning",
        "info",
        "success",
        "metric",
    ):
        for element in getattr(app, kind):
            parts.append(str(getattr(element, "value", "")))
            parts.append(str(getattr(element, "label", "")))
    for frame in [*app.dataframe, *app.table]:
        parts.append(frame.value.to_csv())
    for box in app.selectbox:
        parts.extend(str(option) for option in box.options)
    return shown("\n".join(parts))
