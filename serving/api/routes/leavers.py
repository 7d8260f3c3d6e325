"""The MLDS's routes: GET /v1/leavers (the students who left its bassin without a solution),
POST /v1/leavers/contacts and PATCH /v1/leavers/contacts/{id} (its contacts with them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from serving.api.deps import ActorDep, StoreDep
from serving.api.errors import AUTHENTICATED, error_responses
from serving.services.inputs import UAI_PATTERN, IsoDate
from serving.services.leaver_views import ContactChanges, ContactView, LeaversView, NewContact
from serving.services.leavers import get_leavers, record_contact, update_contact

__all__ = ["router"]

router = APIRouter(tags=["students who left (MLDS)"])

_REFUSALS = (*AUTHENTICATED, 413, 422)
ContactIdPath = Annotated[int, Path(ge=1, le=2**62)]
_NO_WEEK = (404, "No week was written on or before the date.")
_WEEK_DATA = (409, "The extraction recorded with the week is missing or altered.")


@router.get(
    "/v1/leavers",
    response_model=LeaversView,
    responses=error_responses(*AUTHENTICATED, 422, _NO_WEEK, _WEEK_DATA),
)
def leavers(
    store: StoreDep,
    actor: ActorDep,
    as_of: Annotated[IsoDate, Query(description="The date the list is made as of (YYYY-MM-DD).")],
    establishment: Annotated[
        list[Annotated[str, Query(pattern=UAI_PATTERN)]] | None,
        Query(description="UAIs of your bassin to read (repeatable; default: all of them)."),
    ] = None,
) -> LeaversView:
    """The students who left your bassin's establishments without the minimum qualification
    in the twelve months up to `as_of`, enrolled nowhere since (MLDS only; names included):
    last establishment, level, leaving date and kind, age, failed exams, interviews, path and
    the contacts recorded. The read is audited."""
    # A plain function: FastAPI runs it in a worker thread (the extraction is read there).
    return get_leavers(store, actor, as_of, tuple(establishment or ()))


@router.post(
    "/v1/leavers/contacts",
    response_model=ContactView,
    status_code=201,
    responses=error_responses(*_REFUSALS, _NO_WEEK, _WEEK_DATA),
)
def create_contact(new: NewContact, store: StoreDep, actor: ActorDep) -> ContactView:
    """Record a contact with a student who left your bassin without a solution: the action
    proposed and where it stands (MLDS only; audited)."""
    return record_contact(store, actor, new)


@router.patch(
    "/v1/leavers/contacts/{contact_id}",
    response_model=ContactView,
    responses=error_responses(
        *_REFUSALS, (404, "No such contact."), (409, "The contact changed since (revision).")
    ),
)
def change_contact(
    contact_id: ContactIdPath, changes: ContactChanges, store: StoreDep, actor: ActorDep
) -> ContactView:
    """Change a contact's date, action or outcome (MLDS of the establishment the student
    left; audited)."""
    return update_contact(store, actor, contact_id, changes)
