"""The files a page offers to download, made only when the signed-in user clicks, and
dropped from Streamlit's media store soon after.

Streamlit serves a download at `/media/<hash>.<ext>` to anyone who has the URL, without
cookies or session (its media endpoint does not authenticate). Data passed as bytes to
`st.download_button` is stored there at every rerun of the page and stays fetchable while
the session shows the button, and after the session ends until two script runs (of any
session) have swept it: on an idle server, indefinitely. So every export is deferred (a
callable `data`, as Streamlit 1.67 offers): nothing is stored until the click; the click runs the
callable, which checks that the user is still active with the same role and scopes (the
store, one statement), builds the file, and schedules two sweeps of orphaned media files
(`export_seconds` and twice that after the click). The URL the browser then fetches
(random-looking: a SHA-224 of the content) answers to anyone who has it until the second
sweep at the latest, i.e. for at most `2 * export_seconds` (60 s by default), or sooner if
other script runs sweep first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from serving.db import Store
from serving.services import Actor, NotAuthenticated
from serving.services.users import refresh_actor

__all__ = ["deferred_export"]


def deferred_export(
    store: Store, actor: Actor, build: Callable[[], bytes | str], keep_seconds: float
) -> Callable[[], bytes | str]:
    """The `data` of a download button: `build()` run at the click, for a user still
    active as `actor`, the stored file swept within `2 * keep_seconds`."""

    def generate() -> bytes | str:
        if refresh_actor(store, actor) != actor:
            raise NotAuthenticated("signed out: the user was disabled or changed")
        data = build()
        _sweep_later(keep_seconds)
        return data

    return generate


def _sweep_later(seconds: float) -> None:
    from streamlit import runtime

    if not runtime.exists():
        return
    manager = runtime.get_instance().media_file_mgr
    # Two sweeps: Streamlit marks an orphaned download at one and deletes it at the next.
    for delay in (seconds, 2 * seconds):
        timer = threading.Timer(delay, manager.remove_orphaned_files)
        timer.daemon = True
        timer.start()
