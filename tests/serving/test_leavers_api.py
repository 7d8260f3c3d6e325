"""GET /v1/leavers and the contact routes over HTTP: 401 without a token, 403 for every
role but the MLDS and for an establishment outside its bassin, the bassin's leavers with
names for its MLDS, contacts recorded and changed, all in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from serving.api.deps import API_THROTTLE
from serving.db.models import User
from serving.throttle import Throttle
from tests.features.leavers_extraction import AS_OF, BASSIN_A, BASSIN_B, OUTSIDE
from tests.serving.conftest import LiveServer
from tests.serving.leavers_world import LeaversWorld, make_leavers_world

LEAVERS = f"/v1/leavers?as_of={AS_OF.isoformat()}"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[LeaversWorld]:
    made = make_leavers_world(tmp_path)
    yield made
    made.store.dispose()


@pytest.fixture
def client(world: LeaversWorld, live_server: LiveServer) -> Iterator[httpx.Client]:
    live_server.app.state.store = world.store
    live_server.app.state.auth_throttle = Throttle(API_THROTTLE)
    with httpx.Client(base_url=live_server.url, timeout=30) as opened:
        yield opened


def test_without_a_token_every_leavers_route_answers_401(client: httpx.Client) -> None:
    for method, path in (("GET", LEAVERS), ("POST", "/v1/leavers/contacts"),
                         ("PATCH", "/v1/leavers/contacts/1")):  # fmt: skip
        response = client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json() == {"detail": "a valid bearer token is required"}


@pytest.mark.parametrize("who", ["watch_unit", "inspector", "admin"])
def test_every_other_role_gets_403(client: httpx.Client, world: LeaversWorld, who: str) -> None:
    response = client.get(LEAVERS, headers=world.headers(who))
    assert response.status_code == 403
    assert response.json() == {"detail": "the students who left are for the MLDS only"}
    contact = {"student_id": "L_CAP", "contact_date": AS_OF.isoformat(), "action": "morea"}
    posted = client.post("/v1/leavers/contacts", json=contact, headers=world.headers(who))
    assert posted.status_code == 403


def test_the_mlds_reads_its_bassin_and_records_a_contact(
    client: httpx.Client, world: LeaversWorld
) -> None:
    response = client.get(LEAVERS, headers=world.headers("mlds"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["establishments"] == [BASSIN_A, BASSIN_B]
    by_id = {leaver["student_id"]: leaver for leaver in body["leavers"]}
    assert sorted(by_id) == ["L_CAP", "L_DURING", "L_EDGE", "L_SUMMER"]
    assert by_id["L_CAP"]["last_name"] == "NomL_CAP"
    assert by_id["L_CAP"]["failed_exams"] == [
        {"exam": "cap", "date": "2026-07-03", "result": "fail"}
    ]
    assert by_id["L_SUMMER"]["left_on"] == "2026-09-01"
    only_b = client.get(f"{LEAVERS}&establishment={BASSIN_B}", headers=world.headers("mlds"))
    assert [leaver["student_id"] for leaver in only_b.json()["leavers"]] == ["L_SUMMER", "L_EDGE"]
    outside = client.get(f"{LEAVERS}&establishment={OUTSIDE}", headers=world.headers("mlds"))
    assert outside.status_code == 403
    assert outside.json() == {"detail": "these establishments are not in your bassin"}

    new = {"student_id": "L_CAP", "contact_date": AS_OF.isoformat(), "action": "morea"}
    created = client.post("/v1/leavers/contacts", json=new, headers=world.headers("mlds"))
    assert created.status_code == 201, created.text
    contact = created.json()
    assert (contact["uai"], contact["outcome"], contact["revision"]) == (BASSIN_A, "proposed", 1)
    path = f"/v1/leavers/contacts/{contact['id']}"
    changed = client.patch(path, json={"outcome": "accepted", "expected_revision": 1},
                           headers=world.headers("mlds"))  # fmt: skip
    assert changed.status_code == 200 and changed.json()["revision"] == 2
    stale = client.patch(path, json={"outcome": "started", "expected_revision": 1},
                         headers=world.headers("mlds"))  # fmt: skip
    assert stale.status_code == 409
    other = client.patch(path, json={"outcome": "declined"}, headers=world.headers("other_mlds"))
    assert other.status_code == 403
    elsewhere = {"student_id": "L_AWAY", "contact_date": AS_OF.isoformat(), "action": "aar"}
    refused = client.post("/v1/leavers/contacts", json=elsewhere, headers=world.headers("mlds"))
    assert refused.status_code == 403


def test_bad_values_get_422(client: httpx.Client, world: LeaversWorld) -> None:
    headers = world.headers("mlds")
    assert client.get("/v1/leavers?as_of=30/11/2026", headers=headers).status_code == 422
    assert client.get("/v1/leavers", headers=headers).status_code == 422
    future = client.get("/v1/leavers?as_of=2027-01-04", headers=headers)
    assert future.status_code == 422 and "after today" in future.text
    assert client.get(f"{LEAVERS}&establishment=nope", headers=headers).status_code == 422
    wrong = {"student_id": "L_CAP", "contact_date": AS_OF.isoformat(), "action": "holiday"}
    assert client.post("/v1/leavers/contacts", json=wrong, headers=headers).status_code == 422
    empty = client.patch("/v1/leavers/contacts/1", json={}, headers=headers)
    assert empty.status_code == 422


def test_the_routes_are_documented(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/v1/leavers"]["get"]["responses"]) >= {
        "200",
        "401",
        "403",
        "404",
        "409",
        "422",
    }
    assert "201" in paths["/v1/leavers/contacts"]["post"]["responses"]
    assert "409" in paths["/v1/leavers/contacts/{contact_id}"]["patch"]["responses"]
    assert "LeaverView" in document["components"]["schemas"]


def test_an_mlds_user_disabled_while_signed_in_is_refused_at_the_next_request(
    client: httpx.Client, world: LeaversWorld
) -> None:
    headers = world.headers("mlds")
    read = client.get(LEAVERS, headers=headers)
    assert read.status_code == 200 and read.json()["leavers"]
    with world.store.transaction() as session:
        session.execute(update(User).where(User.username == "mlds.bassin").values(disabled=True))
    refused = client.get(LEAVERS, headers=headers)
    assert refused.status_code == 401 and "Nom" not in refused.text
    contact = {"student_id": "L001", "uai": BASSIN_A, "contact_date": AS_OF.isoformat(),
               "action": "aar", "outcome": "proposed"}  # fmt: skip
    assert client.post("/v1/leavers/contacts", json=contact, headers=headers).status_code == 401
