"""The 50-client scenario the store must survive, on SQLite and on PostgreSQL alike: each
client records an interview for its own student through a real server, invites, holds, and
all race once for the same student; no write may be lost, only one interview per student
may be under way, and the audit log stays one intact hash chain."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from serving.db import Store
from serving.db.audit_chain import verify_chain
from serving.db.models import AuditEntry, Interview
from serving.weekly import replace_week_lists
from tests.serving.conftest import HOME_UAI, WEEK, LiveServer, establishment

__all__ = ["CLIENTS", "fifty_clients_record_interviews"]

CLIENTS = 50


def fifty_clients_record_interviews(store: Store, server: LiveServer, token: str) -> None:
    """Write a list of CLIENTS students (plus one raced for), run the clients with the watch
    unit's `token` against `server` (which must serve `store`), and assert every write."""
    students = [f"C{number:03d}" for number in range(CLIENTS)]
    risks = {student: 0.2 for student in students} | {"RACE": 0.9}
    replace_week_lists(store, as_of=WEEK, model_version="vigie-dropout/3",
                       establishments=[establishment(HOME_UAI, "Collège", 5, risks)],
                       watch_threshold=None)  # fmt: skip
    server.app.state.store = store
    headers = {"Authorization": f"Bearer {token}"}
    start = threading.Barrier(CLIENTS)

    def client(student_id: str) -> tuple[list[int], int]:
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            start.wait()
            race = http.post("/v1/interviews", json={"student_id": "RACE"}).status_code
            created = http.post(
                "/v1/interviews", json={"student_id": student_id, "notes": f"note {student_id}"}
            )
            path = f"/v1/interviews/{created.json()['id']}"
            invited = http.patch(path, json={"status": "invited", "expected_revision": 1})
            held = http.patch(
                path, json={"status": "held", "solution": "tutoring", "expected_revision": 2}
            )
            return [created.status_code, invited.status_code, held.status_code], race

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, students))

    assert all(codes == [201, 200, 200] for codes, _ in results), results
    races = sorted(race for _, race in results)
    assert races.count(201) == 1 and races.count(409) == CLIENTS - 1, races
    with store.reading() as session:
        interviews = session.scalars(select(Interview).where(Interview.student_id != "RACE"))
        by_student = {interview.student_id: interview for interview in interviews}
        assert sorted(by_student) == students
        assert all(
            (i.status, i.solution, i.revision, i.notes)
            == ("held", "tutoring", 3, f"note {i.student_id}")
            for i in by_student.values()
        )
        written = session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action.in_(["record_interview", "update_interview"]),
                AuditEntry.outcome == "allowed",
            )
        )
        assert written == 3 * CLIENTS + 1
        entries = session.scalar(select(func.count(AuditEntry.id)))
    report = verify_chain(store)
    assert report.intact and report.verified == entries, report
