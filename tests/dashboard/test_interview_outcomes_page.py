"""The interview outcome report on the dashboard ("Issues des entretiens": inspectors and
watch units) and from the command line (`vigie interview-outcomes`), on the dashboard
tests' world with its later extraction: aggregated counts, no student, French and English,
each role its own scope, every read audited."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app_dashboard import runtime
from serving.db.models import AuditEntry, Interview
from tests.dashboard.conftest import app_as, texts
from tests.dashboard.world import USERNAMES
from training.later_records import read_later_enrollments
from vigie.cli import app as cli

PAGE = "views/interview_outcomes.py"


@pytest.fixture
def later_extraction(world, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The dashboard's settings naming the world's extraction as the later one."""
    monkeypatch.setenv("VIGIE_OUTCOMES_EXTRACTION", str(world.extraction))
    runtime._settings.clear()
    yield
    monkeypatch.delenv("VIGIE_OUTCOMES_EXTRACTION")
    runtime._settings.clear()


def _held(store, world, uai: str | None = None) -> int:
    """The interviews held up to the day the world's extraction runs to (the report's day:
    an interview other tests of the session held later is not in it)."""
    as_of = read_later_enrollments(world.extraction).as_of
    query = select(func.count()).select_from(Interview).where(
        Interview.status == "held", Interview.interview_date <= as_of
    )
    if uai is not None:
        query = query.where(Interview.uai == uai)
    with store.reading() as session:
        return int(session.scalar(query) or 0)


@pytest.mark.usefixtures("later_extraction")
@pytest.mark.parametrize(
    ("language", "title", "column"),
    [("fr", "Issues des entretiens", "Entretiens"), ("en", "Interview outcomes", "Interviews")],
)
def test_an_inspector_reads_the_report_of_every_establishment(
    store, world, language: str, title: str, column: str
) -> None:
    app = app_as(store, "inspector", language)
    app.run()
    app.switch_page(PAGE)
    app.run()
    assert not app.exception
    assert app.title[0].value == title
    shown = texts(app)
    assert f" {_held(store, world)} " in shown  # the interviews held, in the introduction
    frames = [frame.value for frame in app.dataframe]
    assert len(frames) == 2 and all(column in frame.columns for frame in frames)
    assert not any(s in shown for s in (*world.home_students, *world.other_students))


@pytest.mark.usefixtures("later_extraction")
def test_a_watch_unit_reads_its_own_establishment_only(store, world) -> None:
    app = app_as(store, "watch_unit")
    app.run()
    app.switch_page(PAGE)
    app.run()
    assert not app.exception
    shown = texts(app)
    assert world.other_uai not in shown
    if _held(store, world, world.home_uai):
        assert world.home_uai in app.dataframe[0].value.iloc[:, 0].tolist()


def test_without_a_later_extraction_the_page_says_how_to_give_one(store) -> None:
    app = app_as(store, "inspector", "en")
    app.run()
    app.switch_page(PAGE)
    app.run()
    assert not app.exception
    assert "VIGIE_OUTCOMES_EXTRACTION" in texts(app)
    assert not app.dataframe


def test_the_command_prints_the_report_and_refuses_roles_it_is_not_for(store, world) -> None:
    runner = CliRunner()
    common = ["interview-outcomes", "--extraction", str(world.extraction)]
    result = runner.invoke(cli, [*common, "--user", USERNAMES["inspector"], "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["interviews"] == _held(store, world)
    assert {row["uai"] for row in report["by_establishment"]} == set(report["establishments"])
    result = runner.invoke(cli, [*common, "--user", USERNAMES["inspector"], "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "By solution proposed" in result.output and "Share who left" in result.output
    result = runner.invoke(
        cli, [*common, "--user", USERNAMES["watch_unit"], "--establishment", world.other_uai]
    )
    assert result.exit_code == 1
    assert "not in your scope" in result.output
    result = runner.invoke(cli, [*common, "--user", USERNAMES["data_scientist"]])
    assert result.exit_code == 1 and "not for this role" in result.output
    with store.reading() as session:
        outcomes = session.execute(
            select(AuditEntry.username, AuditEntry.outcome)
            .where(AuditEntry.action == "read_interview_outcomes")
        ).all()  # fmt: skip
    assert (USERNAMES["inspector"], "allowed") in outcomes
    assert (USERNAMES["data_scientist"], "denied") in outcomes
    assert (USERNAMES["watch_unit"], "denied") in outcomes
