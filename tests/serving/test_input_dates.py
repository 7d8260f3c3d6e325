"""Dates sent to the API are ISO `YYYY-MM-DD` strings and nothing else (issue 11: `2.2e-16`
was taken as a Unix time, 1970-01-01). A refusal is a 422 naming the field."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from serving.services.inputs import InterviewChanges, NewDismissal, NewInterview
from tests.serving.conftest import HOME_UAI, WEEK, World

NOT_ISO_DATES: list[Any] = [
    2.2e-16,
    0,
    0.0,
    1764460800,  # 2025-11-30 as a Unix time
    True,
    "1764460800",
    "2026-11-30T00:00:00",
    "2026-11-30T00:00:00Z",
    "2026-11-30 ",
    "2026-11-30\n",
    "20261130",
    "30/11/2026",
    "2026-W49-1",
    "２０２６-１１-３０",  # full-width digits
    dt.datetime(2026, 11, 30),
    b"2026-11-30",
]

# (model, date field, the other fields of a valid input)
DATE_FIELDS: list[tuple[type[BaseModel], str, dict[str, Any]]] = [
    (NewInterview, "interview_date", {"student_id": "H001"}),
    (InterviewChanges, "interview_date", {}),
    (NewDismissal, "week", {"student_id": "H001", "reason": "déjà suivi"}),
]


@pytest.mark.parametrize(("model", "field", "others"), DATE_FIELDS)
@pytest.mark.parametrize("value", NOT_ISO_DATES, ids=repr)
def test_input_dates_refuse_anything_but_iso_strings(
    model: type[BaseModel], field: str, others: dict[str, Any], value: Any
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate({**others, field: value})
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]
    assert "YYYY-MM-DD" in refused.value.errors()[0]["msg"]


@pytest.mark.parametrize(("model", "field", "others"), DATE_FIELDS)
def test_input_dates_take_iso_strings_dates_and_null(
    model: type[BaseModel], field: str, others: dict[str, Any]
) -> None:
    monday = dt.date(2026, 11, 30)
    assert getattr(model.model_validate({**others, field: "2026-11-30"}), field) == monday
    assert getattr(model.model_validate({**others, field: monday}), field) == monday
    assert getattr(model.model_validate_json(json.dumps({**others, field: "2026-11-30"})), field)
    assert getattr(model.model_validate({**others, field: None}), field) is None
    with pytest.raises(ValidationError):  # still a calendar date
        model.model_validate({**others, field: "2026-02-30"})


def test_dates_in_the_openapi_document_are_iso_strings(api: httpx.Client) -> None:
    document = api.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    date_schema = {"type": "string", "format": "date"}
    assert date_schema in schemas["NewInterview"]["properties"]["interview_date"]["anyOf"]
    assert date_schema in schemas["NewDismissal"]["properties"]["week"]["anyOf"]
    assert schemas["ScoreRequest"]["properties"]["as_of"]["type"] == "string"
    [week] = [
        parameter
        for parameter in document["paths"]["/v1/establishments/{uai}/lists/{week}"]["get"][
            "parameters"
        ]
        if parameter["name"] == "week"
    ]
    assert week["schema"]["format"] == "date"


def refused_fields(response: httpx.Response) -> list[list[str | int]]:
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


@pytest.mark.parametrize("value", [2.2e-16, 1764460800, "2026-11-30T00:00:00"], ids=repr)
def test_api_refuses_non_iso_dates_naming_the_field(
    api: httpx.Client, world: World, value: Any
) -> None:
    headers = world.headers("watch_unit")
    interview = {"student_id": "H001", "interview_date": value}
    assert refused_fields(api.post("/v1/interviews", json=interview, headers=headers)) == [
        ["body", "interview_date"]
    ]
    created = api.post("/v1/interviews", json={"student_id": "H001"}, headers=headers)
    assert created.status_code == 201
    patch = api.patch(
        f"/v1/interviews/{created.json()['id']}", json={"interview_date": value}, headers=headers
    )
    assert refused_fields(patch) == [["body", "interview_date"]]
    dismissal = {"student_id": "H002", "reason": "déjà suivi", "week": value}
    assert refused_fields(api.post("/v1/dismissals", json=dismissal, headers=headers)) == [
        ["body", "week"]
    ]
    posted = {
        "as_of": value,
        "establishments": [{"uai": HOME_UAI}],
        "students": [{"student_id": "H001"}],
        "enrollments": [{"student_id": "H001"}],
    }
    assert refused_fields(api.post("/v1/score", json=posted, headers=headers)) == [
        ["body", "as_of"]
    ]
    # Nothing was written by the refused requests: only the one valid interview.
    record = api.get("/v1/students/H001", headers=headers).json()
    assert [i["interview_date"] for i in record["interviews"]] == [None]


@pytest.mark.parametrize("week", ["2026-11-30T00:00:00", "1764460800", "2026-11-30T00:00"])
def test_week_path_parameter_is_an_iso_date(api: httpx.Client, world: World, week: str) -> None:
    headers = world.headers("watch_unit")
    assert api.get(f"/v1/establishments/{HOME_UAI}/lists/{WEEK}", headers=headers).is_success
    response = api.get(f"/v1/establishments/{HOME_UAI}/lists/{week}", headers=headers)
    assert refused_fields(response) == [["path", "week"]]
    assert "YYYY-MM-DD" in response.json()["detail"][0]["msg"]
