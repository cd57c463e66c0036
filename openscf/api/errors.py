"""The one error shape, and the one place that maps errors to HTTP status codes.

    {"error": {"type": ..., "code": ..., "message": ..., "param": ...}}

| error (openscf.domain.errors / app.auth)   | status |
|---------------------------------------------|--------|
| InvalidRequest: malformed JSON, wrong type, missing or unknown field, bad id | 400 |
| InvalidRequest raised by the domain (well-formed, but the values are refused:  | 400 |
|   pieces that do not sum, a due date in the past ...)                          |     |
| AuthenticationFailed: no, unknown, revoked, expired or malformed credentials | 401 |
| PermissionDenied: role, permission, not the holder, missing CSRF token | 403 |
| NotFound: no such record, or one the caller may not see | 404 |
| unknown route / method not allowed | 404 / 405 |
| Conflict (and ConcurrencyConflict after retries; reused Idempotency-Key) | 409 |
| body larger than the limit | 413 |
| a body that is not application/json | 415 |
| LimitExceeded: a program, supplier or funder limit would be passed | 422 |
| LoginThrottled: too many failed logins for a login or an address (Retry-After) | 429 |
| anything else: a bug; logged server-side with a request id, never shown | 500 |

LimitExceeded gets 422 rather than 409: nothing about the record's state would make the
same request succeed on retry; the program's limits forbid the amount.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from openscf.app.auth import AuthenticationFailed, LoginThrottled
from openscf.domain.errors import (
    Conflict,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    OpenSCFError,
    PermissionDenied,
)

__all__ = ["error_response", "install_error_handlers", "status_of"]

log = logging.getLogger("openscf.api")

_STATUS: list[tuple[type[OpenSCFError], int]] = [
    (LoginThrottled, 429),
    (AuthenticationFailed, 401),
    (InvalidRequest, 400),
    (NotFound, 404),
    (PermissionDenied, 403),
    (Conflict, 409),
    (LimitExceeded, 422),
]


def status_of(error: OpenSCFError) -> int:
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 400


def error_body(type_: str, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"type": type_, "code": code, "message": message, "param": param}}


def error_response(error: OpenSCFError, status: int | None = None) -> JSONResponse:
    status = status or status_of(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, LoginThrottled):
        headers = {"Retry-After": str(error.retry_after_seconds)}
    return JSONResponse(error_body(error.type, error.code, error.message, error.param),
                        status_code=status, headers=headers)


def _param(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or None


_CODES = {
    "missing": ("missing_field", "{param} is required"),
    "extra_forbidden": ("unknown_field", "{param} is not a field of this request"),
    "json_invalid": ("invalid_json", "the body is not valid JSON: {msg}"),
    "json_type": ("invalid_json", "the body must be a JSON object"),
    "model_attributes_type": ("invalid_body", "the body must be a JSON object"),
    "dict_type": ("invalid_body", "the body must be a JSON object"),
}


def _validation_error(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"type": "value_error", "loc": (), "msg": "invalid"}
    loc = tuple(first.get("loc", ()))
    param = _param(loc)
    kind = str(first.get("type", "value_error"))
    if kind == "missing" and loc == ("body",):
        code, message = "missing_body", "this request needs a JSON object body"
    elif kind in _CODES:
        code, template = _CODES[kind]
        if kind.startswith("json"):
            param = None
        message = template.format(param=param or "the body", msg=first.get("msg", ""))
    elif loc and loc[0] == "path":
        code = "invalid_id" if param and param.endswith("id") else "invalid_path"
        message = f"{param}: {first.get('msg', 'invalid')}"
    elif loc and loc[0] == "header":
        code, message = "invalid_header", f"header {param}: {first.get('msg', 'invalid')}"
    else:
        code = "invalid_type" if kind.endswith("_type") or "parsing" in kind else "invalid_value"
        message = f"{param or 'the body'}: {first.get('msg', 'invalid')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return JSONResponse(error_body("invalid_request_error", code, message, param),
                        status_code=400)


# A person who mistypes a dashboard address gets a page, not the API's JSON error.
NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Page not found · openscf</title>
<link rel="stylesheet" href="/static/dashboard.css"></head>
<body><main><section class="card narrow"><h1>Page not found</h1>
<p>There is no page at this address. <a href="/">Back to your dashboard</a>.</p>
</section></main></body></html>
"""


def _wants_a_page(request: Request) -> bool:
    return (not request.url.path.startswith("/v1")
            and "text/html" in request.headers.get("accept", ""))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenSCFError)
    async def _openscf(_request: Request, exc: OpenSCFError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_error(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        if status == 404 and _wants_a_page(request):
            from openscf.web.routes import SECURITY_HEADERS  # the dashboard's own

            return HTMLResponse(NOT_FOUND_PAGE, status_code=404, headers=SECURITY_HEADERS)
        if status == 404:
            body = error_body("not_found_error", "unknown_route",
                              "no such endpoint; see /v1/openapi.json")
        elif status == 405:
            body = error_body("invalid_request_error", "method_not_allowed",
                              "this endpoint does not take that method")
        elif status < 500:
            # FastAPI raises 400 for a body it cannot parse (deep nesting, bad encoding).
            body = error_body("invalid_request_error", "invalid_body",
                              str(exc.detail) if exc.detail else "the request is malformed")
        else:  # pragma: no cover - nothing in openscf raises an HTTP 5xx on purpose
            body = error_body("api_error", "internal_error", "internal error")
        return JSONResponse(body, status_code=status, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # A bug, never bad input (the tests hold that line). Log it with an id the client
        # can quote; the client gets no stack trace and no internals.
        incident = secrets.token_hex(6)
        log.error("unhandled error %s on %s %s", incident, request.method, request.url.path,
                  exc_info=exc)
        return JSONResponse(error_body("api_error", "internal_error",
                                       f"internal error; quote incident {incident}"),
                            status_code=500)
