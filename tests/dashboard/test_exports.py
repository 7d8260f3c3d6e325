"""The list's exports are made only when clicked, for a user still active, and leave
Streamlit's media store soon after (`app_dashboard.exports`)."""

from __future__ import annotations

import pytest

from app_dashboard.exports import deferred_export
from serving.services import Actor, NewUser, add_user, authenticate_password, disable_user
from tests.dashboard.conftest import app_as
from tests.dashboard.world import PASSWORD

ADMIN = Actor.operator("test")


def test_the_exports_are_deferred_and_nothing_is_stored_before_the_click(store, world):
    app = app_as(store, "watch_unit")
    app.run()
    assert not app.exception
    buttons = app.get("download_button")
    assert len(buttons) == 2
    for button in buttons:
        assert button.proto.url == ""  # no /media URL: nothing stored for the page
        assert button.proto.deferred_file_id
    # The click, the fetch without cookies and the sweeps: test_browser.py.


def test_a_disabled_user_gets_no_export(store, world):
    add_user(store, ADMIN, NewUser("cpe.export", "watch_unit", (world.home_uai,), PASSWORD))
    actor = authenticate_password(store, "cpe.export", PASSWORD)
    export = deferred_export(store, actor, lambda: b"list", 30)
    assert export() == b"list"
    disable_user(store, ADMIN, "cpe.export")
    with pytest.raises(Exception, match="signed out"):
        export()
