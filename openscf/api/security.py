"""Who is calling, and the context a state-changing request runs in.

Two ways to authenticate, checked in this order:

1. ``Authorization: Bearer sk_...``: an API key (scripts, ERPs, the load benchmark).
   Such requests need no CSRF token: a browser never adds this header on its own.
2. The ``openscf_session`` cookie: a browser session (the dashboard). Every POST and
   DELETE must then echo the session's CSRF token in ``X-CSRF-Token`` (or, for HTML
   forms of the dashboard, in a ``csrf_token`` field checked by the web adapter with
   `Authenticator.check_csrf`).

The session-cookie helpers here are what the web dashboard reuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from openscf.api.writer import GroupCommitter
from openscf.app.auth import AuthenticationFailed, Authenticator, NewSession, Principal
from openscf.app.queries import ReadModel
from openscf.app.service import NetworkService, Outcome
from openscf.domain.errors import NotFound, OpenSCFError
from openscf.logs import note_caller

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "Caller",
    "Mutation",
    "Services",
    "clear_session_cookies",
    "current_principal",
    "mutation",
    "services",
    "set_session_cookies",
]

SESSION_COOKIE = "openscf_session"
CSRF_COOKIE = "openscf_csrf"

bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="apiKey", description="An API key: `Authorization: Bearer sk_...`"
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="A browser session (POST /v1/sessions); state "
    "changes need the X-CSRF-Token header too",
)


@dataclass
class Services:
    """Everything a request handler needs, built once per app.

    `writer` runs every command (group commit, see `openscf.api.writer`).
    """

    service: NetworkService
    auth: Authenticator
    reads: ReadModel
    secure_cookies: bool = True
    writer: GroupCommitter = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.writer is None:
            self.writer = GroupCommitter(self.service)


def services(request: Request) -> Services:
    found: Services = request.app.state.openscf
    return found


def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    session: Annotated[str | None, Security(cookie_scheme)],
) -> Principal:
    svc = services(request)
    if bearer is not None:
        principal = svc.auth.authenticate_api_key(bearer.credentials)
        note_caller(principal.org_id, principal.user_id)
        return principal
    if request.headers.get("authorization"):
        raise AuthenticationFailed("invalid_authorization", "use `Authorization: Bearer <API key>`")
    if session:
        principal = svc.auth.authenticate_session(session)
        note_caller(principal.org_id, principal.user_id)
        return principal
    raise AuthenticationFailed(
        "authentication_required", "send an API key (Authorization: Bearer sk_...) or log in"
    )


Caller = Annotated[Principal, Depends(current_principal)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Retrying a POST with the same key returns the first response; the same "
        "key with a different body is refused (409 idempotency_key_reused).",
    ),
]
CsrfToken = Annotated[
    str | None,
    Header(
        alias="X-CSRF-Token",
        max_length=200,
        description="The session's CSRF token; needed when authenticated by the session cookie",
    ),
]


@dataclass
class Mutation:
    """A state-changing request: the caller, its Idempotency-Key, the services."""

    principal: Principal
    idempotency_key: str | None
    svc: Services
    response: Response

    def run(
        self,
        command: Any,
        *,
        guard: Callable[[], bool] | None = None,
        hidden: tuple[str, str, str] | None = None,
    ) -> Outcome:
        """Run a command as the caller. If `guard()` says the caller may not even see the
        record the command names, answer *not found* and submit nothing: before the command
        runs, and again if it is refused (the record may have moved out of sight meanwhile),
        so refusals reveal nothing about other organisations' records. Whether the caller
        may act on the record is the domain's rule; this only decides what a refusal says."""

        def not_found() -> NotFound:
            assert hidden is not None
            kind, value, param = hidden
            return NotFound(f"unknown_{kind}", f"no {kind.replace('_', ' ')} {value!r}", param)

        if guard is not None and hidden is not None and not guard():
            raise not_found()
        try:
            outcome = self.svc.writer.submit(self.principal.user_id, command, self.idempotency_key)
        except OpenSCFError as exc:
            # Only a refusal is hidden; an error on the system's side stays a 500.
            if exc.fault == "caller" and guard is not None and hidden is not None and not guard():
                raise not_found() from exc
            raise
        self.response.headers["OpenSCF-Events"] = ",".join(e["id"] for e in outcome.events)
        if outcome.replayed:
            self.response.headers["Idempotent-Replayed"] = "true"
        return outcome


def mutation(
    request: Request,
    response: Response,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
    csrf_token: CsrfToken = None,
) -> Mutation:
    svc = services(request)
    svc.auth.check_csrf(principal, csrf_token)
    return Mutation(principal, idempotency_key, svc, response)


Mutate = Annotated[Mutation, Depends(mutation)]


def set_session_cookies(
    response: Response, session: NewSession, *, secure: bool, max_age: int
) -> None:
    """The session id (HttpOnly) and the CSRF token (readable by the page's scripts, for
    htmx or fetch to echo in X-CSRF-Token). Both Secure and SameSite=Lax."""
    response.set_cookie(
        SESSION_COOKIE,
        session.session_id,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    response.set_cookie(
        CSRF_COOKIE,
        session.principal.csrf_token or "",
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=False,
        samesite="lax",
    )


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=http_only, samesite="lax")
