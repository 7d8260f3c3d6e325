"""`vigie leavers` as an MLDS user runs it: the bassin's leavers in French or English, as
JSON, one establishment; another role refused with its reason (exit 1), the read audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from serving.db.models import AuditEntry
from tests.features.leavers_extraction import AS_OF, BASSIN_B
from tests.serving.leavers_world import LeaversWorld, make_leavers_world
from vigie.cli import app

runner = CliRunner()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LeaversWorld:
    made = make_leavers_world(tmp_path)
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.setenv("VIGIE_DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    return made


def leavers(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["leavers", "--as-of", AS_OF.isoformat(), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_bassins_leavers_in_french_and_english(world: LeaversWorld) -> None:
    code, out, _ = leavers("--user", "mlds.bassin")
    assert code == 0, out
    assert "Sortis sans solution" in out and "NomL_CAP" in out
    assert "échec" in out and "4 élève(s)" in out
    assert "after_exam_failure" not in out  # words, never codes
    assert "L_AWAY" not in out  # another bassin's leaver
    code, out, _ = leavers("--user", "mlds.bassin", "--lang", "en")
    assert "summer" in out and "4 student(s)" in out and "échec" not in out


def test_json_and_one_establishment(world: LeaversWorld) -> None:
    code, out, _ = leavers("--user", "mlds.bassin", "--json", "-e", BASSIN_B)
    assert code == 0, out
    body = json.loads(out)
    assert [leaver["student_id"] for leaver in body["leavers"]] == ["L_SUMMER", "L_EDGE"]
    with world.store.reading() as session:
        reads = (
            session.execute(select(AuditEntry.uai).where(AuditEntry.action == "read_leavers"))
            .scalars()
            .all()
        )
    assert reads == [BASSIN_B]


@pytest.mark.parametrize(
    ("user", "message"),
    [("cpe.bassin", "for the MLDS only"), ("nobody", "no active user nobody")],
)
def test_refusals_exit_1_with_the_reason(world: LeaversWorld, user: str, message: str) -> None:
    code, out, err = leavers("--user", user)
    assert code == 1
    assert message in err and "NomL_" not in out + err
