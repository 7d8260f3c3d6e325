"""`vigie demo` end to end on a small académie: it trains, makes the model champion, writes
this week's lists to the store and creates one demo user of each role."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

import vigie.demo as demo
from features.synth import load_config
from serving.db import open_store
from serving.services import authenticate_password, get_week_list, list_users
from serving.services.actor import Actor
from serving.services.dashboard_scope import visible_establishments
from serving.settings import load_serving_settings
from vigie.demo_serving import DEMO_PASSWORD
from vigie.settings import Settings

SMALL = {"establishments": 6, "students": 1500, "years": 4, "seed": 9}


def test_the_demo_ends_with_this_weeks_lists_and_a_user_of_each_role(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIE_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(demo, "load_config", lambda: load_config(overrides=SMALL))
    console = Console(record=True, width=200)

    demo.run_demo(Settings(home=tmp_path), console)

    text = console.export_text()
    assert "Champion: vigie-dropout version 1" in text
    assert DEMO_PASSWORD in text  # the demo logins are printed
    as_of = demo.demo_as_of(load_config(overrides=SMALL).extraction_date)
    store = open_store(load_serving_settings().resolved_database_url)
    try:
        users = {user.username: user for user in list_users(store, Actor.operator("test"))}
        assert {user.role for user in users.values()} == {
            "watch_unit", "inspector", "data_scientist", "admin"
        }  # fmt: skip
        watch_unit = authenticate_password(store, "cpe.demo", DEMO_PASSWORD)
        (uai,) = watch_unit.establishments
        week = get_week_list(store, watch_unit, uai, as_of)
        assert week.entries, "the watch unit's establishment has a list this week"
        assert all(entry.reasons for entry in week.entries if entry.tier == "invite")
        # The demo's watch unit works where the most students are "to watch" this week, so
        # that the dashboard shows both tiers.
        inspector = Actor("reader", "inspector")
        watched = {
            other: sum(entry.tier == "watch" for entry in get_week_list(
                store, inspector, other, as_of).entries)
            for other in {choice.uai for choice in visible_establishments(store, inspector)}
        }  # fmt: skip
        assert watched[uai] == max(watched.values())
    finally:
        store.dispose()
