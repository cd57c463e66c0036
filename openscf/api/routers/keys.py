"""Organisations' signing keys and client-signed requests.

- `GET /v1/keys?org_id=`: public keys and their validity windows (anyone may verify).
- `POST /v1/keys`, `POST /v1/keys/{key_id}/revoke`: register (or rotate, with
  `replaces`) and revoke keys: the organisation's admins, or the operator.
- `POST /v1/signed_requests`: a command the caller's organisation signed on its own side
  (`openscf.client`); the server verifies the signature with the key in force and runs
  it. The caller must be the request's actor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from openscf.api import schemas as s
from openscf.api.middleware import DuplicateKey, loads_strict
from openscf.api.params import ERRORS, READ_ERRORS
from openscf.api.security import Caller, Mutate, services
from openscf.domain import commands as c
from openscf.domain.errors import InvalidRequest, PermissionDenied
from openscf.domain.events import format_instant

router = APIRouter()
Body = dict[str, Any]
KEY_PATTERN = s.id_pattern("key")


class RegisterKeyIn(s.Strict):
    org_id: Annotated[str, Field(pattern=s.id_pattern("org"), max_length=80)]
    public_key: Annotated[str, Field(min_length=10, max_length=100)]
    replaces: Annotated[str | None, Field(pattern=KEY_PATTERN, max_length=80)] = None
    key_id: Annotated[str | None, Field(pattern=KEY_PATTERN, max_length=80)] = None


class RevokeKeyIn(s.Strict):
    reason: Annotated[str, Field(min_length=1, max_length=200)] = "revoked"


class SignedRequestIn(s.Strict):
    request: Annotated[str, Field(min_length=2, max_length=200_000)]
    key_id: Annotated[str, Field(pattern=KEY_PATTERN, max_length=80)]
    signature: Annotated[str, Field(min_length=1, max_length=200)]


def _key(row: dict[str, Any]) -> Body:
    return {
        "object": "key",
        "id": row["id"],
        "org_id": row["org_id"],
        "public_key": row["public_key"],
        "custodial": bool(row["custodial"]),
        "valid_from": row["valid_from"],
        "rotated_at": row["rotated_at"],
        "revoked_at": row["revoked_at"],
    }


@router.get("/keys", responses=READ_ERRORS, tags=["keys"])
def list_keys(
    request: Request,
    caller: Caller,
    org_id: Annotated[str, Query(pattern=s.id_pattern("org"), max_length=80)],
) -> Body:
    """An organisation's public signing keys with the windows they were in force."""
    rows = services(request).reads.keys(caller, org_id)
    return {"object": "list", "data": [_key(r) for r in rows], "has_more": False}


@router.post("/keys", status_code=201, responses=ERRORS, tags=["keys"])
def register_key(body: RegisterKeyIn, m: Mutate) -> Body:
    """Register a public key (rotate with `replaces`). The private key stays with you."""
    outcome = m.run(c.RegisterKey(body.org_id, body.public_key, False, body.replaces, body.key_id))
    return _fetch(m, outcome.created["key_id"])


@router.post("/keys/{key_id}/revoke", responses=ERRORS, tags=["keys"])
def revoke_key(
    key_id: Annotated[str, Path(pattern=KEY_PATTERN, max_length=80)],
    m: Mutate,
    body: RevokeKeyIn | None = None,
) -> Body:
    m.run(c.RevokeKey(key_id, body.reason if body else "revoked"))
    return _fetch(m, key_id)


def _fetch(m: Any, key_id: str) -> Body:
    return _key(m.svc.reads.key(m.principal, key_id))


@router.post("/signed_requests", status_code=201, responses=ERRORS, tags=["keys"])
def submit_signed(body: SignedRequestIn, m: Mutate) -> Body:
    """Run a request your organisation signed client-side (see `openscf.client`)."""
    try:
        actor = loads_strict(body.request).get("actor")
    except DuplicateKey as exc:
        raise InvalidRequest(
            "invalid_json", f"the signed request is not valid JSON: {exc}", "request"
        ) from None
    except (ValueError, AttributeError, RecursionError):
        actor = None
    if actor != m.principal.user_id:
        raise PermissionDenied(
            "actor_mismatch",
            "the signed request must name the authenticated user as actor",
            "request",
        )
    outcome = m.svc.service.handle_signed(
        body.request, body.key_id, body.signature, idempotency_key=m.idempotency_key
    )
    m.response.headers["OpenSCF-Events"] = ",".join(e["id"] for e in outcome.events)
    return {
        "object": "signed_request",
        "command": outcome.command,
        "created": outcome.created,
        "events": outcome.events,
        "received_at": format_instant(m.svc.service.clock.now()),
    }
