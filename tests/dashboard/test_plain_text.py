"""Text from data shows as plain text: a name, a note, a dismissal's reason or an error
message holding Markdown is neither an image the browser fetches, nor a link, nor emphasis."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from sqlalchemy import select, update

from app_dashboard.plain import WORD_JOINER, Markdown, plain, plain_frame
from serving.db.models import Student
from serving.services import NewDismissal, NewInterview, dismiss_student, record_interview
from tests.dashboard.conftest import app_as, shown, sign_in

HOSTILE = [
    "![x](http://198.51.100.7/leak.png)",
    "[clic](http://198.51.100.7/) <http://198.51.100.7/> http://198.51.100.7/a www.example.org",
    "**gras** _it_ `code` ~~barré~~ # titre",
    ":red[rouge] :material/warning: $x^2$ <img src=http://198.51.100.7/i.png>",
    "> citation\n- liste\n1. un\n| a | b |\n|---|---|",
    "Dupont-Martin O'Neil (3e) 50 % {x} \\ échappé",
    "écrire à cpe@college.example.fr ou WWW.Example.org, https://x.example/a?b=c",
]

RENDER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


@pytest.mark.parametrize("value", HOSTILE)
def test_escaped_text_renders_as_exactly_its_text(value: str) -> None:
    html = RENDER.render(plain(value))
    for tag in ("<img", "<a ", "<em", "<strong", "<code", "<h1", "<blockquote", "<ul", "<ol",
                "<table", "<del", "<s>"):  # fmt: skip
        assert tag not in html, (value, html)
    escaped = plain(value)
    for autolinked in ("http://", "https://", "www."):  # GFM's autolink literals
        assert autolinked not in escaped
    assert "$" not in escaped.replace("\\$", "") and ":red[" not in escaped
    # GFM autolinks are looked for in the text once escapes are resolved: none must match.
    text_node = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped)
    assert not re.search(r"https?://|www(?=\.)|[-.\w+]+@[-\w]+(\.[-\w]+)+", text_node)
    assert shown(escaped).replace("  \n", "\n") == value


def test_labels_are_not_escaped_twice_and_table_cells_are_escaped() -> None:
    label = Markdown("**Déjà** sûr")
    assert plain(label) is label
    frame = plain_frame(pd.DataFrame({"Élève": ["![x](http://h/i.png)"], "Rang": [1]}), ["Élève"])
    assert frame["Élève"][0] == r"\!\[x\]\(http\:" + WORD_JOINER + r"\/\/h\/i\.png\)"
    assert frame["Rang"][0] == 1


def test_the_student_page_shows_a_hostile_name_note_and_reason_as_text(store, world):
    student = world.home_students[-1]
    with store.reading() as session:
        before = session.execute(
            select(Student.last_name, Student.first_name).where(Student.student_id == student)
        ).one()
    name = "![x](http://198.51.100.7/leak.png)"
    first = "[Léa](http://198.51.100.7/)"
    note = "Voir **http://198.51.100.7/a** ![n](http://198.51.100.7/n.png)"
    reason = "Suivi ailleurs : <http://198.51.100.7/> :red[urgent]"
    with store.transaction() as session:
        session.execute(
            update(Student)
            .where(Student.student_id == student)
            .values(last_name=name, first_name=first)
        )
    try:
        watch_unit = sign_in(store, "watch_unit")
        record_interview(store, watch_unit, NewInterview(student_id=student, notes=note))
        dismiss_student(
            store,
            watch_unit,
            NewDismissal(student_id=student, reason=reason, week=world.weeks[-1]),
        )
        app = app_as(store, "watch_unit")
        app.session_state["vigie_student"] = student
        app.switch_page("views/student.py").run()
        assert not app.exception
        assert app.title[0].value == plain(f"{name} {first}")
        bodies = [e.value for kind in ("title", "markdown", "caption") for e in getattr(app, kind)]
        assert plain(note) in bodies
        assert any(plain(reason) in body for body in bodies)
        for body in bodies:
            html = RENDER.render(body)
            assert "<img" not in html and "<a " not in html, body
            assert "http://" not in body
    finally:
        with store.transaction() as session:
            session.execute(
                update(Student)
                .where(Student.student_id == student)
                .values(last_name=before.last_name, first_name=before.first_name)
            )


def test_an_error_message_from_the_url_is_plain_text(store, world):
    app = app_as(store, "watch_unit")
    app.query_params["student"] = "![x](http://198.51.100.7/u.png)"
    app.switch_page("views/student.py").run()
    assert not app.exception
    for element in [*app.error, *app.warning]:
        assert "<img" not in RENDER.render(element.value) and "http://" not in element.value


def test_dates_in_labels_still_read_right() -> None:
    assert shown(plain(f"{dt.date(2025, 3, 3):%d/%m/%Y}")) == "03/03/2025"
