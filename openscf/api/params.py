"""Shared path, query and response declarations for the routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from openscf.api.schemas import ErrorBody

__all__ = ["ERRORS", "Limit", "StartingAfter"]


OrgPath = Annotated[
    str,
    Path(
        pattern=r"^org_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        max_length=80,
        description="an organisation id",
    ),
]
UserPath = Annotated[
    str,
    Path(pattern=r"^usr_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=80, description="a user id"),
]
ProgramPath = Annotated[
    str,
    Path(
        pattern=r"^prg_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=80, description="a program id"
    ),
]
InvoicePath = Annotated[
    str,
    Path(
        pattern=r"^inv_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=80, description="an invoice id"
    ),
]
ReceivablePath = Annotated[
    str,
    Path(
        pattern=r"^rcv_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        max_length=80,
        description="a receivable id",
    ),
]
RequestPath = Annotated[
    str,
    Path(
        pattern=r"^fin_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        max_length=80,
        description="a financing request id",
    ),
]
OfferPath = Annotated[
    str,
    Path(
        pattern=r"^ofr_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        max_length=80,
        description="a financing offer id",
    ),
]
EarlyOfferPath = Annotated[
    str,
    Path(
        pattern=r"^epo_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        max_length=80,
        description="an early-payment offer id",
    ),
]
ApprovalPath = Annotated[
    str,
    Path(
        pattern=r"^apr_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        max_length=80,
        description="an approval id",
    ),
]
EventPath = Annotated[
    str,
    Path(
        pattern=r"^evt_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=80, description="an event id"
    ),
]
ApiKeyPath = Annotated[
    str,
    Path(
        pattern=r"^akey_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        max_length=80,
        description="an API key id",
    ),
]
SessionPath = Annotated[
    str, Path(pattern=r"^ses_[0-9a-f]{24}$", max_length=28, description="a session id")
]

Limit = Annotated[int, Query(ge=1, le=100, description="at most this many (1-100)")]
StartingAfter = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z]{2,5}_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        max_length=80,
        description="cursor: the id of the last object of the previous page",
    ),
]

_E = {"model": ErrorBody}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        **_E,
        "description": "invalid request (malformed JSON, wrong types, unknown or "
        "missing fields, bad ids, refused values)",
    },
    401: {**_E, "description": "no, unknown, revoked or expired credentials"},
    403: {**_E, "description": "not permitted (role, permission, CSRF token)"},
    404: {**_E, "description": "no such object, or one the caller may not see"},
    409: {**_E, "description": "conflict with the current state, or a reused Idempotency-Key"},
    413: {**_E, "description": "body too large"},
    415: {**_E, "description": "body is not JSON"},
    422: {**_E, "description": "a program, supplier or funder limit would be passed"},
}
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        **_E,
        "description": "too many failed logins for this login or from this address; "
        "retry after the Retry-After header's seconds",
    }
}
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    k: v for k, v in ERRORS.items() if k in (400, 401, 404)
}
