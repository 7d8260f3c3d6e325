"""The stop switch in the dashboard: the admin suspends an establishment's lists from the
"Utilisateurs" page with a reason, its watch unit's list page then shows why instead of the
list (another establishment's list still shows), and resuming brings the list back; both
actions audited with the admin and the reason. Same small store as the users page's tests."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from app_dashboard import runtime
from serving.db import Store
from serving.db.models import AuditEntry
from serving.services import Actor, NewUser, add_user, authenticate_password
from serving.services.suspensions import suspend
from tests.dashboard.conftest import ENTRY, shown, texts
from tests.dashboard.test_admin_users import PASSWORD, Site, page_as, site, template
from tests.serving.conftest import HOME_UAI, OTHER_UAI

__all__ = ["site", "template"]  # the fixtures, shared with test_admin_users

REASON = "Anomalie signalée sur la liste"


def watch_unit(store: Store, uai: str) -> Actor:
    """A signed-in watch unit of `uai` (the dashboard re-reads the user on every page)."""
    username = f"cpe.{uai.lower()}"
    add_user(store, Actor.operator("tests"), NewUser(username, "watch_unit", (uai,), PASSWORD))
    return authenticate_password(store, username, PASSWORD)


def list_page(actor: Actor) -> AppTest:
    app = AppTest.from_file(ENTRY, default_timeout=60)
    app.session_state[runtime.ACTOR] = actor
    app.run()
    app.switch_page("views/week_list.py")
    app.run()
    assert not app.exception, app.exception
    return app


def submit(app: AppTest, scope: str, reason: str, label: str) -> None:
    app.selectbox(key="stop_scope").select(scope)
    app.text_input(key="stop_reason").input(reason)
    next(button for button in app.button if button.label == label).click()
    app.run()
    assert not app.exception, app.exception


def test_the_admin_suspends_and_resumes_an_establishments_lists(site: Site) -> None:
    home_unit, other_unit = watch_unit(site.store, HOME_UAI), watch_unit(site.store, OTHER_UAI)
    assert list_page(home_unit).dataframe  # the list shows
    app = page_as(site.admin)
    submit(app, HOME_UAI, REASON, "Suspendre")
    assert [shown(s.value) for s in app.success] == [
        f"Listes suspendues : {HOME_UAI} — Collège Anne de Bretagne."
    ]
    history = app.dataframe[1].value
    assert history.iloc[0]["Raison"] == REASON and history.iloc[0]["État"] == "suspendu"

    home = list_page(home_unit)
    assert not home.dataframe  # no list
    (warning,) = [shown(w.value) for w in home.warning]
    assert REASON in warning and "admin.academie" in warning and HOME_UAI in warning
    assert list_page(other_unit).dataframe  # another establishment is not affected

    submit(app, HOME_UAI, "Liste vérifiée", "Reprendre")
    assert app.dataframe[1].value.iloc[0]["État"] == "repris"
    assert list_page(home_unit).dataframe
    with site.store.reading() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.username, AuditEntry.detail)
            .where(AuditEntry.action.in_(("suspend", "resume")))
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("suspend", "admin.academie", REASON),
        ("resume", "admin.academie", "Liste vérifiée"),
    ]


def test_a_suspension_without_a_reason_is_refused_on_the_page(site: Site) -> None:
    app = page_as(site.admin)
    submit(app, HOME_UAI, " ", "Suspendre")
    assert app.error and "reason" in shown(app.error[0].value)
    assert list_page(watch_unit(site.store, HOME_UAI)).dataframe


def test_the_student_page_says_why_while_suspended(site: Site) -> None:
    unit = watch_unit(site.store, HOME_UAI)
    suspend(site.store, Actor.operator("tests"), None, REASON)
    app = AppTest.from_file(ENTRY, default_timeout=60)
    app.session_state[runtime.ACTOR] = unit
    app.run()
    app.session_state[runtime.STUDENT] = "H001"
    app.switch_page("views/student.py")
    app.run()
    assert not app.exception, app.exception
    (warning,) = [shown(w.value) for w in app.warning]
    assert REASON in warning and "tous les établissements" in warning
    assert "NomH001" not in texts(app)  # no record shown
