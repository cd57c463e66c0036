"""Organisations, users, bank-account changes, API keys and sessions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from openscf.api import schemas as s
from openscf.api import serialize as out
from openscf.api.params import (
    ERRORS,
    READ_ERRORS,
    THROTTLED,
    ApiKeyPath,
    Limit,
    OrgPath,
    SessionPath,
    StartingAfter,
    UserPath,
)
from openscf.api.security import (
    Caller,
    CsrfToken,
    IdempotencyKey,
    Mutate,
    clear_session_cookies,
    services,
    set_session_cookies,
)
from openscf.domain import commands as c
from openscf.domain.errors import InvalidRequest

router = APIRouter()

Body = dict[str, Any]


def _only(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {k: v for k, v in ERRORS.items() if k in codes}


def _address(request: Request) -> str | None:
    """The client's address as the server sees it (behind a proxy: the proxy's, unless
    the server runs with uvicorn's --proxy-headers from trusted proxies)."""
    return request.client.host if request.client else None


# --- organisations ---------------------------------------------------------------------


@router.post(
    "/organisations",
    status_code=201,
    response_model=s.OrganisationOut,
    responses=ERRORS,
    tags=["organisations"],
)
def register_organisation(body: s.CreateOrganisation, m: Mutate) -> Body:
    """Register an organisation (operator admins only)."""
    outcome = m.run(
        c.RegisterOrganisation(
            name=body.name,
            roles=tuple(body.roles),
            country=body.country,
            lei=body.lei,
            iban=body.iban,
            bic=body.bic,
            org_id=body.id,
        )
    )
    return out.organisation(m.svc.reads.organisation(m.principal, outcome.created["org_id"]))


@router.get(
    "/organisations",
    response_model=s.ListOf[s.OrganisationOut],
    responses=READ_ERRORS,
    tags=["organisations"],
)
def list_organisations(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    role: s.Role | None = None,
) -> Body:
    """The directory of organisations (bank details only for one's own)."""
    page = services(request).reads.organisations(
        caller, role=role, limit=limit, starting_after=starting_after
    )
    return out.listing(page, out.organisation)


@router.get(
    "/organisations/{org_id}",
    response_model=s.OrganisationOut,
    responses=READ_ERRORS,
    tags=["organisations"],
)
def get_organisation(request: Request, caller: Caller, org_id: OrgPath) -> Body:
    return out.organisation(services(request).reads.organisation(caller, org_id))


@router.post(
    "/organisations/{org_id}/bank_account_changes",
    status_code=201,
    response_model=s.ApprovalOut,
    responses=ERRORS,
    tags=["organisations"],
)
def request_bank_account_change(org_id: OrgPath, body: s.BankAccountChange, m: Mutate) -> Body:
    """Propose a new bank account (an admin, the maker); another user approves it
    (POST /v1/approvals/{id}/approve, a checker)."""
    outcome = m.run(c.RequestBankAccountChange(org_id, body.iban, body.bic, body.id))
    return out.approval(m.svc.reads.approval(m.principal, outcome.created["approval_id"]))


@router.post(
    "/organisations/{org_id}/disable_custody",
    response_model=s.OrganisationOut,
    responses=ERRORS,
    tags=["organisations"],
)
def disable_custody(org_id: OrgPath, m: Mutate, body: s.NoBody | None = None) -> Body:
    """Switch custody off (the organisation's admins, once it registered a key of its own
    with POST /v1/keys): the server revokes the custodial keys it holds for the
    organisation and signs nothing more for it. Send later requests signed
    (POST /v1/signed_requests). There is no switching back."""
    m.run(c.DisableCustody(org_id))
    return out.organisation(m.svc.reads.organisation(m.principal, org_id))


# --- users -----------------------------------------------------------------------------


@router.post("/users", status_code=201, response_model=s.UserOut, responses=ERRORS, tags=["users"])
def add_user(body: s.CreateUser, m: Mutate) -> Body:
    """Add a user to an organisation (its admins; operator admins for any)."""
    outcome = m.run(c.AddUser(body.org_id, body.name, tuple(body.permissions), body.id))
    return out.user(m.svc.reads.user(m.principal, outcome.created["user_id"]))


@router.post(
    "/users/{user_id}/permission_grants",
    status_code=201,
    response_model=s.PermissionGrantOut,
    responses=ERRORS,
    tags=["users"],
)
def grant_permission(user_id: UserPath, body: s.GrantPermissionIn, m: Mutate) -> Body:
    """Give a user of your organisation a permission (admins). 'checker' takes effect only
    when a second, existing checker approves it (POST /v1/approvals/{id}/approve); that
    checker must not be the user who asked. Other permissions take effect at once."""
    outcome = m.run(c.GrantPermission(user_id, body.permission, body.id))
    pending = any(e["type"] == "PermissionGrantRequested" for e in outcome.events)
    return {
        "object": "permission_grant",
        "user_id": user_id,
        "permission": body.permission,
        "status": "pending" if pending else "granted",
        "approval_id": outcome.created["approval_id"] if pending else None,
    }


@router.get("/users", response_model=s.ListOf[s.UserOut], responses=READ_ERRORS, tags=["users"])
def list_users(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: StartingAfter = None,
    org_id: Annotated[str | None, Query(pattern=s.id_pattern("org"))] = None,
) -> Body:
    page = services(request).reads.users(
        caller, org_id=org_id, limit=limit, starting_after=starting_after
    )
    return out.listing(page, out.user)


@router.get("/users/{user_id}", response_model=s.UserOut, responses=READ_ERRORS, tags=["users"])
def get_user(request: Request, caller: Caller, user_id: UserPath) -> Body:
    return out.user(services(request).reads.user(caller, user_id))


# --- API keys --------------------------------------------------------------------------


@router.post(
    "/api_keys",
    status_code=201,
    response_model=s.ApiKeyOut,
    responses=ERRORS,
    tags=["authentication"],
)
def create_api_key(request: Request, body: s.CreateApiKey, m: Mutate) -> Body:
    """Create an API key. The key itself (`secret`) is in this response only: store it.
    A user creates keys for itself; an admin for its own organisation's users. Nobody,
    the operator included, creates keys for another organisation's users (a new
    organisation's first key comes from the server's command line). A key created through
    another key (or a session opened with one) is revoked with it."""
    created = m.svc.auth.create_api_key(
        m.principal,
        body.user_id,
        body.name,
        idempotency_key=m.idempotency_key,
        address=_address(request),
    )
    if created.replayed:
        m.response.headers["Idempotent-Replayed"] = "true"
    return out.api_key(created.key, created.secret)


@router.get(
    "/api_keys",
    response_model=s.ListOf[s.ApiKeyOut],
    responses=READ_ERRORS,
    tags=["authentication"],
)
def list_api_keys(
    request: Request, caller: Caller, limit: Limit = 20, starting_after: StartingAfter = None
) -> Body:
    keys, more = services(request).auth.list_api_keys(
        caller, limit=limit, starting_after=starting_after
    )
    return out.list_of((out.api_key(k) for k in keys), more)


@router.get(
    "/api_keys/{key_id}", response_model=s.ApiKeyOut, responses=READ_ERRORS, tags=["authentication"]
)
def get_api_key(request: Request, caller: Caller, key_id: ApiKeyPath) -> Body:
    return out.api_key(services(request).auth.get_api_key(caller, key_id))


@router.post(
    "/api_keys/{key_id}/revoke",
    response_model=s.ApiKeyOut,
    responses=ERRORS,
    tags=["authentication"],
)
def revoke_api_key(
    request: Request, key_id: ApiKeyPath, m: Mutate, body: s.NoBody | None = None
) -> Body:
    """Revoke a key at once, with every key created through it and every session opened
    with any of them; every server worker refuses them once this answers. Its user, an
    admin of its organisation, or an operator admin. Revoking a revoked key is harmless."""
    return out.api_key(m.svc.auth.revoke_api_key(m.principal, key_id, address=_address(request)))


# --- disabling users ---------------------------------------------------------------------


@router.post(
    "/users/{user_id}/disable",
    response_model=s.UserAccessOut,
    responses=ERRORS,
    tags=["authentication"],
)
def disable_user(
    request: Request, user_id: UserPath, m: Mutate, body: s.NoBody | None = None
) -> Body:
    """Disable a user at once: its API keys are revoked, its sessions end, and it can
    neither log in nor get a key until enabled. An admin of its organisation, or an
    operator admin; not oneself."""
    m.svc.auth.disable_user(m.principal, user_id, address=_address(request))
    return {"object": "user_access", "user_id": user_id, "disabled": True}


@router.post(
    "/users/{user_id}/enable",
    response_model=s.UserAccessOut,
    responses=ERRORS,
    tags=["authentication"],
)
def enable_user(
    request: Request, user_id: UserPath, m: Mutate, body: s.NoBody | None = None
) -> Body:
    """Let a disabled user log in again (its old keys stay revoked). An admin of its
    organisation."""
    m.svc.auth.enable_user(m.principal, user_id, address=_address(request))
    return {"object": "user_access", "user_id": user_id, "disabled": False}


# --- the security audit trail ------------------------------------------------------------


@router.get(
    "/auth_events",
    response_model=s.ListOf[s.AuthEventOut],
    responses=_only(400, 401, 403),
    tags=["authentication"],
)
def list_auth_events(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: Annotated[str | None, Query(pattern=r"^aev_[A-Za-z0-9]{1,64}$")] = None,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
    user_id: Annotated[str | None, Query(pattern=s.id_pattern("usr"))] = None,
) -> Body:
    """Logins (failed, throttled, succeeded), keys created and revoked, users disabled and
    enabled, sessions ended; oldest first. Admins see their organisation's, operator
    admins everyone's. Never a password, key or cookie."""
    events, more = services(request).auth.list_auth_events(
        caller, limit=limit, starting_after=starting_after, kind=kind, user_id=user_id
    )
    return out.list_of((out.auth_event(e) for e in events), more)


# --- sessions --------------------------------------------------------------------------


@router.post(
    "/sessions",
    status_code=201,
    response_model=s.SessionOut,
    responses={**_only(400, 401, 413, 415), **THROTTLED},
    tags=["authentication"],
)
def log_in(
    request: Request, response: Response, body: s.Login, idempotency_key: IdempotencyKey = None
) -> Body:
    """Start a browser session: sets the `openscf_session` cookie (Secure, HttpOnly,
    SameSite=Lax) and the readable `openscf_csrf` cookie; returns the CSRF token, which
    every cookie-authenticated POST and DELETE must echo in `X-CSRF-Token`.

    Give `login` and `password` (the demo's users), or `api_key`. After repeated wrong
    passwords for one login (or from one address) further attempts are answered 429 with
    `Retry-After`, the wait doubling with each failure, whatever the password."""
    svc = services(request)
    if body.api_key is not None and body.login is None and body.password is None:
        session = svc.auth.login_with_api_key(body.api_key, address=_address(request))
    elif body.login is not None and body.password is not None and body.api_key is None:
        session = svc.auth.login_with_password(body.login, body.password, address=_address(request))
    else:
        raise InvalidRequest(
            "invalid_credentials_shape", "give either login and password, or api_key", "login"
        )
    set_session_cookies(
        response,
        session,
        secure=svc.secure_cookies,
        max_age=int(svc.auth.session_ttl.total_seconds()),
    )
    return out.session(session.principal)


@router.get(
    "/sessions/current", response_model=s.SessionOut, responses=READ_ERRORS, tags=["authentication"]
)
def current_session(caller: Caller) -> Body:
    """Who the credentials belong to (and the session's CSRF token)."""
    return out.session(caller)


@router.delete(
    "/sessions/current",
    response_model=s.SessionOut,
    responses=_only(400, 401, 403),
    tags=["authentication"],
)
def log_out(
    request: Request, response: Response, caller: Caller, csrf_token: CsrfToken = None
) -> Body:
    """End the browser session (a CSRF-checked state change) and clear its cookies."""
    svc = services(request)
    if caller.method != "session":
        raise InvalidRequest(
            "not_a_session", "only a browser session can log out; revoke an API key instead"
        )
    svc.auth.check_csrf(caller, csrf_token)
    svc.auth.end_session(caller, address=_address(request))
    clear_session_cookies(response, secure=svc.secure_cookies)
    return out.session(caller)


@router.get(
    "/sessions",
    response_model=s.ListOf[s.SessionRecordOut],
    responses=READ_ERRORS,
    tags=["authentication"],
)
def list_sessions(
    request: Request,
    caller: Caller,
    limit: Limit = 20,
    starting_after: Annotated[str | None, Query(pattern=r"^ses_[0-9a-f]{24}$")] = None,
    include_ended: bool = False,
    user_id: Annotated[str | None, Query(pattern=s.id_pattern("usr"))] = None,
) -> Body:
    """Live sessions of your organisation (an admin) or your own (anyone else), with the
    API key each was opened with; `include_ended=true` adds ended and expired ones."""
    found, more = services(request).auth.list_sessions(
        caller,
        limit=limit,
        starting_after=starting_after,
        include_ended=include_ended,
        user_id=user_id,
    )
    return out.list_of((out.session_record(r) for r in found), more)


@router.post(
    "/sessions/{session_id}/end",
    response_model=s.SessionRecordOut,
    responses=ERRORS,
    tags=["authentication"],
)
def end_session(
    request: Request, session_id: SessionPath, m: Mutate, body: s.NoBody | None = None
) -> Body:
    """End a session at once: its own user, or an admin of its organisation. Ending an
    ended session is harmless."""
    return out.session_record(
        m.svc.auth.end_session_by_id(m.principal, session_id, address=_address(request))
    )
