"""The admin's "Utilisateurs" page with Streamlit's AppTest, on a small store of its own
(two establishments, an admin and an inspector; no model, so it runs in seconds): the list,
creating a watch unit, disabling it by a second click, re-enabling it, a new password and a
new token shown once, the recent sign-in failures, and the refusal of any other role."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from app_dashboard import runtime
from app_dashboard.navigation import ROLE_PAGES
from serving.db import Store, open_store
from serving.db.models import AuditEntry, User
from serving.services import (
    Actor,
    NewUser,
    NotAuthenticated,
    add_user,
    authenticate_password,
    authenticate_token,
)
from serving.weekly import replace_week_lists
from tests.dashboard.conftest import ENTRY, shown, texts
from tests.serving.conftest import HOME_UAI, OTHER_UAI, week_input

PAGE = "views/admin_users.py"
PASSWORD = "a long enough password"
HOSTILE = "![x](http://leak.example/x.png)"  # a login tried, shown as text only


@dataclass
class Site:
    store: Store
    admin: Actor
    inspector: Actor


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store, built once (migrations, a written week, argon2 hashes); each test copies it."""
    path = tmp_path_factory.mktemp("admin_users") / "store.sqlite3"
    store = open_store(f"sqlite:///{path}")
    replace_week_lists(
        store,
        as_of=dt.date(2026, 11, 30),
        model_version="vigie-dropout/1",
        establishments=week_input(),
        watch_threshold=0.3,
    )
    operator = Actor.operator("tests")
    add_user(store, operator, NewUser("admin.academie", "admin", password=PASSWORD))
    add_user(store, operator, NewUser("ien.rennes", "inspector", password=PASSWORD))
    with pytest.raises(NotAuthenticated):  # a failed sign-in for the panel
        authenticate_password(store, HOSTILE, "wrong password", address="203.0.113.9")
    store.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def site(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A store of its own, the dashboard pointed at it (its cached settings and store are
    dropped before and after, so other dashboard tests get theirs back)."""
    path = tmp_path / "store.sqlite3"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    store = Store.from_url(url)
    monkeypatch.setenv("VIGIE_DATABASE_URL", url)
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "home"))
    runtime._settings.clear()
    runtime._store.clear()
    yield Site(
        store,
        authenticate_password(store, "admin.academie", PASSWORD, address="198.51.100.1"),
        authenticate_password(store, "ien.rennes", PASSWORD),
    )
    runtime._settings.clear()
    runtime._store.clear()
    store.dispose()


def page_as(actor: Actor, language: str = "fr") -> AppTest:
    """The dashboard signed in as `actor`, on the users page."""
    app = AppTest.from_file(ENTRY, default_timeout=60)
    app.session_state[runtime.ACTOR] = actor
    app.session_state[runtime.LANGUAGE_TOGGLE] = language == "en"
    app.run()
    app.switch_page(PAGE)
    app.run()
    assert not app.exception, app.exception
    return app


def user_row(app: AppTest, username: str) -> dict:
    users = app.dataframe[0].value
    return users[users["Identifiant"] == username].iloc[0].to_dict()


def audit(store: Store, action: str) -> list[AuditEntry]:
    """The entries of `action` but those of the fixture's operator."""
    with store.reading() as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.username != "operator:tests")
            .order_by(AuditEntry.id)
        )
        return list(session.scalars(query))


def secrets_shown(app: AppTest) -> list[str]:
    return [block.value for block in app.code]


def test_the_admin_creates_disables_re_enables_and_renews(site: Site) -> None:
    app = page_as(site.admin)
    assert app.title[0].value == "Utilisateurs"
    admin = user_row(app, "admin.academie")
    assert admin["Rôle"] == "administration" and admin["État"] == "actif"
    assert admin["Dernière connexion"].endswith("UTC")
    assert user_row(app, "ien.rennes")["Établissements"] == "toute l'académie"
    # Establishments are offered by UAI and name.
    choices = app.multiselect(key="admin_new_establishments")
    assert choices.options == [
        f"{OTHER_UAI} — Lycée Brizeux",
        f"{HOME_UAI} — Collège Anne de Bretagne",
    ]

    # Create a watch unit: its token and password are shown once, on this run only.
    app.text_input(key="admin_new_username").input("cpe.anne")
    app.selectbox(key="admin_new_role").select("watch_unit")
    choices.select(HOME_UAI)
    next(button for button in app.button if button.label == "Créer").click()
    app.run()
    assert not app.exception
    assert [shown(s.value) for s in app.success] == ["Utilisateur cpe.anne créé."]
    token, password = secrets_shown(app)
    assert authenticate_token(site.store, token).establishments == {HOME_UAI}
    assert authenticate_password(site.store, "cpe.anne", password).role == "watch_unit"
    row = user_row(app, "cpe.anne")
    assert row["Établissements"] == f"{HOME_UAI} — Collège Anne de Bretagne"
    assert row["Mot de passe"] == "oui"
    assert "cpe.anne" in app.selectbox(key="admin_pick_user").options  # to manage at once
    kept = repr(app.session_state.to_dict())  # the secrets are not kept in the session
    assert token not in kept and password not in kept
    app.run()
    assert secrets_shown(app) == []  # gone at the next rerun
    with site.store.reading() as session:
        stored = session.scalar(select(User).where(User.username == "cpe.anne"))
        assert stored is not None and token not in (stored.token_hash or "")

    # Disable: only the confirmation inside the popover (the second click) does it.
    app.selectbox(key="admin_pick_user").select("cpe.anne")
    app.run()
    assert not audit(site.store, "disable_user")
    app.button(key="admin_confirm_disable").click()
    app.run()
    assert not app.exception
    assert user_row(app, "cpe.anne")["État"] == "désactivé"
    with pytest.raises(NotAuthenticated):
        authenticate_token(site.store, token)
    with pytest.raises(NotAuthenticated):
        authenticate_password(site.store, "cpe.anne", password)
    app.run()
    app.button(key="admin_enable").click()
    app.run()
    assert user_row(app, "cpe.anne")["État"] == "actif"
    assert authenticate_token(site.store, token).username == "cpe.anne"

    # A new password, then a new token: shown once, the old ones stop working.
    app.button(key="admin_confirm_password").click()
    app.run()
    (new_password,) = secrets_shown(app)
    assert authenticate_password(site.store, "cpe.anne", new_password).role == "watch_unit"
    with pytest.raises(NotAuthenticated):
        authenticate_password(site.store, "cpe.anne", password)
    app.button(key="admin_confirm_token").click()
    app.run()
    (new_token,) = secrets_shown(app)
    assert authenticate_token(site.store, new_token).username == "cpe.anne"
    with pytest.raises(NotAuthenticated):
        authenticate_token(site.store, token)

    actions = ["add_user", "disable_user", "enable_user", "reset_password", "renew_token"]
    for action in actions:
        (entry,) = audit(site.store, action)
        assert (entry.username, entry.role, entry.outcome) == ("admin.academie", "admin", "allowed")
        assert all(s not in (entry.detail or "") for s in (token, password, new_token))


def test_a_watch_unit_outside_the_known_establishments_or_a_self_disable_is_refused(
    site: Site,
) -> None:
    app = page_as(site.admin)
    app.text_input(key="admin_new_username").input("cpe.none")
    app.selectbox(key="admin_new_role").select("watch_unit")
    next(button for button in app.button if button.label == "Créer").click()
    app.run()
    assert "a watch unit needs at least one establishment" in texts(app)
    assert secrets_shown(app) == []
    app.selectbox(key="admin_pick_user").select("admin.academie")
    app.run()
    app.button(key="admin_confirm_disable").click()
    app.run()
    assert "own account" in texts(app)
    assert user_row(app, "admin.academie")["État"] == "actif"


def test_recent_sign_in_failures_are_shown_as_text(site: Site) -> None:
    app = page_as(site.admin)
    failures = app.dataframe[1].value
    row = failures[failures["Identifiant essayé"] == HOSTILE].iloc[0]
    assert (row["Accès"], row["Type"], row["Adresse"], row["Nombre"]) == (
        "tableau de bord",
        "échec",
        "203.0.113.9",
        1,
    )
    markdown = "\n".join(element.value for element in [*app.markdown, *app.caption])
    assert "](http" not in markdown  # never rendered as Markdown
    app.selectbox(key="admin_failures_days").select(1)
    app.run()
    assert len(app.dataframe[1].value) == len(failures)


def test_the_page_in_english(site: Site) -> None:
    app = page_as(site.admin, "en")
    assert app.title[0].value == "Users"
    assert {"Login", "Role", "Status", "Last sign-in"} <= set(app.dataframe[0].value.columns)
    assert user_row_en(app, "ien.rennes")["Status"] == "active"
    assert "Recent sign-in failures" in [s.value for s in app.subheader]


def user_row_en(app: AppTest, username: str) -> dict:
    users = app.dataframe[0].value
    return users[users["Login"] == username].iloc[0].to_dict()


def test_other_roles_get_no_menu_entry_and_a_refusal_from_the_service(site: Site) -> None:
    offered = {role: [n for _, names in s for n in names] for role, s in ROLE_PAGES.items()}
    assert [role for role, names in offered.items() if "admin_users" in names] == ["admin"]
    # The page reached some other way: the service refuses, nothing is shown.
    direct = AppTest.from_file(str(Path(ENTRY).parent / PAGE), default_timeout=60)
    direct.session_state[runtime.ACTOR] = site.inspector
    direct.run()
    assert not direct.exception
    assert "only admins manage users" in texts(direct)
    assert not direct.dataframe and not direct.button and not direct.code
    (denied,) = audit(site.store, "list_users")
    assert (denied.username, denied.outcome) == ("ien.rennes", "denied")


def test_the_admin_sees_the_monitoring_alerts_week_by_week(site: Site) -> None:
    from serving.monitoring.metrics import Thresholds
    from serving.monitoring.run import monitor_week
    from tests.serving.conftest import establishment

    first, second = dt.date(2026, 11, 30), dt.date(2026, 12, 7)
    replace_week_lists(
        site.store, as_of=second, model_version="vigie-dropout/1", watch_threshold=0.3,
        establishments=[
            establishment(HOME_UAI, "Collège Anne de Bretagne", 2,
                          {"H001": 0.6, "H002": 0.1, "H003": 0.7}),
            establishment(OTHER_UAI, "Lycée Brizeux", 1, {"O001": 0.3, "O002": 0.8}),
        ],
    )  # fmt: skip
    monitor_week(site.store, week=first)
    latest = monitor_week(site.store, week=second, thresholds=Thresholds(churn=0.9))
    assert [(a["kind"], a["scope"]) for a in latest.alerts] == [("churn", OTHER_UAI)]
    app = page_as(site.admin)
    assert "Suivi" in [header.value for header in app.header]
    picker = app.selectbox(key="monitoring_week")
    assert picker.value == second and list(picker.options) == ["07/12/2026", "30/11/2026"]
    page = texts(app)
    assert "1 alerte(s) de suivi" in page and OTHER_UAI in page
    assert "interrupteur d'arrêt" in page
    assert not any(student in page for student in ("H001", "H003", "O002"))
    picker.select(first)
    app.run()
    assert not app.exception
    assert "Aucune alerte de suivi." in texts(app)
    reads = [e.detail for e in audit(site.store, "read_monitoring")]
    assert "week of 2026-11-30: 0 alerts" in reads and "week of 2026-12-07: 1 alerts" in reads
