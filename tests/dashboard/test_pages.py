"""Every page for every role, with Streamlit's AppTest: what each role sees, what it is
refused, and that a watch unit cannot reach another establishment by URL or session state."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from app_dashboard import runtime
from app_dashboard.navigation import ROLE_PAGES
from serving.db.models import AuditEntry, Interview
from tests.dashboard.conftest import app_as, shown, texts
from tests.dashboard.world import PASSWORD

STUDENT_PAGE = "views/student.py"


def as_number(shown: str) -> float:
    """A number as a French page writes it (« 51,8 % », « −1 234,5 »), back to a float."""
    text = shown.replace("\u202f", "").replace("%", "").replace("\u2212", "-").strip()
    return float(text.replace(",", "."))


def button(app, label):
    return next(b for b in app.button if b.label == label)


def denials(store, username: str) -> list[AuditEntry]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.username == username, AuditEntry.outcome == "denied"
                )
            )
        )


def test_sign_in_refuses_a_wrong_password_then_opens_the_watch_units_list(store, world):
    app = app_as(store, None)
    app.run()
    assert not app.exception
    assert app.subheader[0].value == "Connexion"
    app.text_input(key="login_username").input("cpe.home")
    app.text_input(key="login_password").input("not the password")
    button(app, "Se connecter").click()
    app.run()
    assert [e.value for e in app.error] == ["Identifiant ou mot de passe incorrect."]
    assert runtime.ACTOR not in app.session_state

    app.text_input(key="login_password").input(PASSWORD)
    button(app, "Se connecter").click()
    app.run()
    assert not app.exception
    assert app.title[0].value == "Liste de la semaine"
    headings = [s.value for s in app.subheader]
    assert headings[0].startswith("À inviter (4)")
    assert headings[1].startswith("À surveiller")
    assert headings[2].startswith("En suivi")
    shown = texts(app)
    last, first = world.names[world.home_students[0]]
    assert last in shown and first in shown  # names for the own watch unit
    assert world.home_uai in shown


def test_the_list_shows_both_tiers_with_reasons_and_statuses(store, world):
    app = app_as(store, "watch_unit")
    app.run()
    assert not app.exception
    invite = app.table[0].value
    assert [int(rank) for rank in invite["Rang"]] == [1, 2, 3, 4]
    assert invite["Raisons"].str.len().min() > 10  # sentences, not feature codes
    # Each reason with its weight in probability points, the context apart, in points.
    assert invite["Raisons"].str.contains("points? de risque", regex=True).any()
    assert not invite["Raisons"].str.contains("Contexte").any()
    assert invite["Dont contexte (points)"].str.endswith("\u202fpts").all()
    risks = [as_number(risk) for risk in invite["Risque à 26 semaines"]]
    assert risks == sorted(risks, reverse=True)
    assert all(risk.endswith("\u202f%") for risk in invite["Risque à 26 semaines"])
    watch = app.dataframe[0].value  # the same words and numbers as the students to invite
    assert [int(rank) for rank in watch["Rang"]] == list(range(5, 5 + len(watch)))
    assert max(as_number(risk) for risk in watch["Risque à 26 semaines"]) <= min(risks)
    assert not (watch == "None").any().any()
    # A level filter keeps only that level's students.
    levels = app.multiselect(key="filter_levels").options
    app.multiselect(key="filter_levels").select(levels[0])
    app.run()
    assert all((frame.value["Niveau"] == levels[0]).all() for frame in app.dataframe)
    assert all((table.value["Niveau"] == levels[0]).all() for table in app.table)
    # Exports are offered (CSV and a printable page).
    assert {b.label for b in app.get("download_button")} == {
        "Exporter en CSV",
        "Page imprimable (HTML)",
    }


def test_a_student_held_last_week_is_in_follow_up_and_the_slot_goes_to_the_next(store, world):
    """The other school's student whose interview was held last week: not among the four
    to invite, but in « En suivi » with the decision, its date, the solution and the risks."""
    app = app_as(store, "other_watch_unit")
    app.run()
    assert not app.exception
    headings = [s.value for s in app.subheader]
    assert headings[0].startswith("À inviter (4)")
    assert headings[2].startswith("En suivi (1)")
    last, first = world.names[world.followed]
    invite, follow_up = app.table[0].value, app.table[1].value
    assert len(invite) == 4
    assert not any(last in shown(cell) for cell in invite["Élève"])
    [row] = follow_up.to_dict("records")
    assert shown(row["Élève"]) == f"{last} {first}"
    assert (row["Décision"], row["Solution proposée"]) == ("entretien tenu", "tutorat")
    held_on = world.weeks[0] + dt.timedelta(days=1)
    assert row["Date"] == held_on.strftime("%d/%m/%Y")
    assert " → " in row["Risque à 26 semaines, alors → maintenant"]
    captions = " ".join(c.value for c in app.caption)
    assert "prochaine liste hebdomadaire" in captions


def test_watch_unit_chooser_offers_only_its_own_establishment(store, world):
    app = app_as(store, "watch_unit")
    app.run()
    chooser = app.selectbox[0]
    assert len(chooser.options) == 1
    assert world.home_uai in chooser.options[0]
    assert world.other_uai not in texts(app)


def test_another_establishment_in_the_url_is_refused_and_logged(store, world):
    before = len(denials(store, "cpe.home"))
    app = app_as(store, "watch_unit")
    app.query_params["uai"] = world.other_uai
    app.run()
    assert not app.exception
    assert any("Accès refusé" in e.value for e in app.error)
    assert not app.dataframe and not app.table
    shown = texts(app)
    for student in world.other_students:
        assert student not in shown
        assert world.names[student][0] not in shown
    assert len(denials(store, "cpe.home")) == before + 1


def test_another_establishment_in_the_session_state_is_refused(store, world):
    app = app_as(store, "watch_unit")
    app.session_state[runtime.UAI] = world.other_uai
    app.run()
    assert any("Accès refusé" in e.value for e in app.error)
    assert not app.dataframe and not app.table


def test_another_schools_student_by_url_or_session_state_is_refused(store, world):
    stranger = world.other_students[0]
    for tamper in ("url", "session"):
        app = app_as(store, "watch_unit")
        app.run()
        if tamper == "url":
            app.query_params["student"] = stranger
        else:
            app.session_state[runtime.STUDENT] = stranger
        app.switch_page(STUDENT_PAGE)
        app.run()
        assert not app.exception
        assert any("Accès refusé" in e.value for e in app.error), tamper
        shown = texts(app)
        assert world.names[stranger][0] not in shown
        assert "Enregistrer un entretien" not in shown


def test_student_page_shows_the_record_and_saves_an_interview_at_once(store, world):
    student = world.home_students[1]
    app = app_as(store, "watch_unit")
    app.session_state[runtime.STUDENT] = student
    app.run()
    app.switch_page(STUDENT_PAGE)
    app.run()
    assert not app.exception
    last, first = world.names[student]
    assert app.title[0].value == f"{last} {first}"
    headings = [s.value for s in app.subheader]
    for heading in (
        "Pourquoi cet élève ?",
        "Risque au fil des semaines",
        "Décomposition du score de la semaine",
        "Absences par semaine",
        "Notes par période et matière",
        "Examens",
        "Entretiens et décisions",
    ):
        assert heading in headings
    assert not app.info, [i.value for i in app.info]  # the waterfall and events are there
    charts = app.get("vega_lite_chart")
    assert len(charts) == 3  # risk, waterfall, absences
    # The waterfall speaks in probability, in the page's language, from the reference risk.
    waterfall = json.loads(charts[1].proto.spec)
    bars = waterfall["layer"][0]["encoding"]
    assert (bars["x"]["field"], bars["x"]["title"]) == ("risk_start", "Risque à 26 semaines")
    assert waterfall["config"]["locale"]["number"]["percent"] == "\u202f%"
    assert "log-odds" not in json.dumps(waterfall)
    assert "Risque de décrochage d'ici 26 semaines" in [m.label for m in app.metric]
    # The context apart from the reasons, with its weight.
    captions = [c.value.replace("\\", "") for c in app.caption]  # markdown escapes off
    assert any(c.startswith("Contexte (niveau, voie, établissement)") for c in captions)
    assert any("sans le contexte" in c for c in captions)

    app.selectbox(key="new_status").set_value("invited")
    app.text_area(key="new_notes").input("Rendez-vous proposé mardi")
    button(app, "Enregistrer").click()
    app.run()
    assert not app.exception
    assert [s.value for s in app.success] == ["Enregistré."]
    assert "invité" in texts(app)
    with store.reading() as session:
        saved = session.scalars(select(Interview).where(Interview.student_id == student)).all()
    assert [(i.status, i.notes, i.created_by) for i in saved] == [
        ("invited", "Rendez-vous proposé mardi", "cpe.home")
    ]
    # A colleague of the same establishment sees it on a fresh session.
    colleague = app_as(store, "watch_unit")
    colleague.session_state[runtime.STUDENT] = student
    colleague.run()
    colleague.switch_page(STUDENT_PAGE)
    colleague.run()
    assert "Rendez-vous proposé mardi" in texts(colleague)
    assert "Mettre à jour l'entretien en cours" in texts(colleague)


def test_a_dismissal_needs_a_reason_and_is_kept(store, world):
    student = world.home_students[2]
    app = app_as(store, "watch_unit")
    app.session_state[runtime.STUDENT] = student
    app.run()
    app.switch_page(STUDENT_PAGE)
    app.run()
    button(app, "Écarter").click()
    app.run()
    assert any("Saisie refusée" in e.value for e in app.error)
    app.text_area(key="dismiss_reason").input("Suivi déjà assuré par l'assistante sociale")
    button(app, "Écarter").click()
    app.run()
    assert [s.value for s in app.success] == ["Élève écarté de la liste."]
    assert "Suivi déjà assuré par l'assistante sociale" in texts(app)


def test_english_switch_translates_the_pages(store, world):
    app = app_as(store, "watch_unit", language="en")
    app.run()
    assert app.title[0].value == "This week's list"
    assert app.subheader[0].value.startswith("To invite (")
    reasons = " ".join(app.table[0].value["Reasons"])
    assert "demi-journée" not in reasons
    assert "de risque" not in reasons
    assert app.table[0].value["Of which context (points)"].str.endswith("\u202fpts").all()
    app.toggle(key=runtime.LANGUAGE_TOGGLE).set_value(False)
    app.run()
    assert app.title[0].value == "Liste de la semaine"


def test_inspector_sees_pseudonymised_lists_and_cannot_record(store, world):
    app = app_as(store, "inspector")
    app.run()
    assert not app.exception
    assert app.title[0].value == "Audit d'équité"
    app.switch_page("views/week_list.py")
    app.run()
    assert len(app.selectbox[0].options) >= 2  # the whole académie
    shown = texts(app)
    assert "Données pseudonymisées." in shown
    for student in world.home_students:
        assert world.names[student][0] not in shown
    student = world.home_students[0]
    app.session_state[runtime.STUDENT] = student
    app.switch_page(STUDENT_PAGE)
    app.run()
    assert app.title[0].value == student
    assert "Enregistrer un entretien" not in texts(app)
    assert "Lecture seule" in texts(app)


def test_inspector_fairness_page_marks_the_band_and_small_groups(store, world):
    app = app_as(store, "inspector")
    app.run()
    assert not app.exception
    shown = texts(app)
    assert "Contrôle d'équité : échoué" in shown
    assert "Zone acceptable 0,80–1,25" in shown
    assert "Trop petits pour juger : " in shown
    assert len(app.get("vega_lite_chart")) == 1
    headings = [s.value for s in app.subheader]
    assert "Variables de substitution (proxys)" in headings
    assert "Familles de raisons par groupe" in headings
    metrics = app.dataframe[0].value  # read as an inspector reads it: no raw field name
    assert "Rappel" in metrics.columns and not any("_" in c for c in metrics.columns)
    assert (
        metrics.loc[metrics["Groupe"] == "filles", "Rappel"].item() == "40,0\u202f% [30,0 ; 50,0]"
    )


def test_inspector_model_card_and_audit_log(store, world):
    app = app_as(store, "inspector")
    app.run()
    app.switch_page("views/model_card.py")
    app.run()
    assert not app.exception
    shown = texts(app)
    assert "Usage prévu" in shown and "Historique des versions" in shown
    versions = app.dataframe[-1].value
    assert set(versions["Alias"]) == {"en service (champion)", "candidat (challenger)"}

    app.switch_page("views/audit_log.py")
    app.run()
    assert not app.exception
    log = app.dataframe[0].value
    assert {"lecture d'une liste", "connexion"} & set(log["Action"])
    assert not any("_" in action for action in log["Action"])
    app.multiselect(key="audit_outcomes").select("denied")
    app.run()
    assert set(app.dataframe[0].value["Résultat"]) <= {"refusé"}


def test_data_scientist_models_and_drift_pages(store, world):
    app = app_as(store, "data_scientist")
    app.run()
    assert not app.exception
    assert app.title[0].value == "Modèles"
    versions = app.dataframe[0].value
    assert list(versions["Version"]) == ["2", "1"]
    assert {"Précision à la capacité", "Score de Brier", "Groupes jugés (équité)"} <= set(
        versions.columns
    )
    assert not any("_" in column or "." in column for column in versions.columns)
    assert versions["Score de Brier"].iloc[0] == "0,041"
    assert len(app.get("vega_lite_chart")) == 1  # precision@k over the weeks
    summary = app.dataframe[1].value
    assert len(summary) == 2 and (summary["Semaines testées"] == "6").all()
    assert any(b.label == "Ouvrir l'interface MLflow" for b in app.get("link_button"))

    app.switch_page("views/drift.py")
    app.run()
    assert not app.exception
    drift = app.dataframe[0].value
    assert len(drift) > 30 and drift["PSI"].map(as_number).is_monotonic_decreasing
    assert app.error or app.success
    # Against the sample of training rows the champion's run logged (no file configured).
    caption = shown(app.caption[0].value)  # the champion's rows at the nearest time of year
    assert "vigie-dropout/1" in caption and "24/11/2025" in caption


def test_each_role_is_offered_its_own_pages_only(store, world):
    offered = {
        role: {name for _, names in sections for name in names}
        for role, sections in ROLE_PAGES.items()
    }
    assert offered["watch_unit"] == {"list", "student", "interview_outcomes"}
    assert offered["inspector"] == {
        "fairness",
        "model_card",
        "interview_outcomes",
        "audit_log",
        "list",
        "student",
    }
    assert offered["data_scientist"] == {"models", "drift", "model_card", "fairness"}
    assert offered["admin"] == {"audit_log", "admin_users"}
    assert offered["mlds"] == {"leavers", "list", "student"}
    for role, landing in (("data_scientist", "Modèles"), ("admin", "Journal d'audit")):
        app = app_as(store, role)
        app.run()
        assert not app.exception
        assert app.title[0].value == landing


def test_a_watch_unit_reaching_an_inspector_page_gets_nothing(store, world):
    app = app_as(store, "watch_unit")
    app.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("views/audit_log.py")
    app.run()
    assert app.title[0].value == "Liste de la semaine"
    assert "read_list" not in texts(app)
