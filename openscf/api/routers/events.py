"""The event history each caller may see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from openscf.api import schemas as s
from openscf.api import serialize as out
from openscf.api.params import READ_ERRORS, EventPath, Limit
from openscf.api.security import Caller, services

router = APIRouter()

EventCursor = Annotated[
    str | None,
    Query(
        pattern=s.id_pattern("evt"),
        max_length=80,
        description="cursor: the id of the last event of the previous page",
    ),
]
EventType = Annotated[
    str | None, Query(pattern=r"^[A-Z][A-Za-z]{1,39}$", description="only events of this type")
]


@router.get("/events", response_model=s.ListOf[s.EventOut], responses=READ_ERRORS, tags=["events"])
def list_events(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: EventCursor = None,
    type: EventType = None,
) -> dict[str, Any]:
    """Events naming the caller's organisation as a party, in log order (operator and
    auditors: every event). Each carries its log sequence number."""
    reads = services(request).reads
    after = reads.event_seq(caller, starting_after) if starting_after else 0
    return out.listing(
        reads.events(caller, after_seq=after, event_type=type, limit=limit), out.event
    )


@router.get("/events/{event_id}", response_model=s.EventOut, responses=READ_ERRORS, tags=["events"])
def get_event(request: Request, caller: Caller, event_id: EventPath) -> dict[str, Any]:
    return out.event(services(request).reads.event(caller, event_id))
