"""The one error shape, and how the HTTP adapter answers every error.

    {"error": {"type": ..., "code": ..., "message": ..., "param": ...}}

Which error class gets which status (and ``type``), and whose fault each is, is the one
table `openscf.errors.STATUS_TABLE` (the dashboard answers from the same table); the tree
of every error class is drawn in the docstring of `openscf.errors`. What this module adds
is what only HTTP has:

| what                                                           | status    |
|----------------------------------------------------------------|-----------|
| malformed JSON, wrong type, missing or unknown field, bad id   | 400       |
| unknown route / method not allowed                             | 404 / 405 |
| body larger than the limit (`BodyLimitMiddleware`)             | 413       |
| a body that is not application/json                            | 415       |
| an error on the system's side: `InternalError`, `TrustError`, | 500       |
|   any exception that is not an `OpenSCFError` (a bug)          |           |

A 401 carries ``WWW-Authenticate: Bearer``, a 429 (`LoginThrottled`) ``Retry-After``.

Every 5xx is answered with one shape, code ``internal_error``, a message that says the
fault is on the server's side and to retry or contact the operator, and an incident id;
the server logs the incident id, the request's method and path, and the traceback (never
the body, the query string or a credential). The client never sees the exception's
message. The dashboard's pages get a page saying the same instead of JSON.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from openscf.errors import (
    INTERNAL_ERROR_CODE,
    STATUS_TABLE,
    LoginThrottled,
    OpenSCFError,
    http_answer,
    internal_error_message,
)
from openscf.logs import request_context

__all__ = ["error_response", "install_error_handlers", "internal_error_response", "status_of"]

log = logging.getLogger("openscf.api")


def status_of(error: BaseException) -> int:
    """The HTTP status of an error, from the one table (anything unknown: 500)."""
    return http_answer(error).status


def error_body(type_: str, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"type": type_, "code": code, "message": message, "param": param}}


def error_response(error: OpenSCFError, status: int | None = None) -> JSONResponse:
    """A caller's error as the API answers it (a system error: `internal_error_response`)."""
    answer = http_answer(error)
    status = status or answer.status
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, LoginThrottled):
        headers = {"Retry-After": str(error.retry_after_seconds)}
    return JSONResponse(
        error_body(answer.type, error.code, error.message, error.param),
        status_code=status,
        headers=headers,
    )


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
    return JSONResponse(error_body("invalid_request_error", code, message, param), status_code=400)


# A person who mistypes a dashboard address gets a page, not the API's JSON error.
NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Page not found · openscf</title>
<link rel="stylesheet" href="/static/dashboard.css"></head>
<body><main><section class="card narrow"><h1>Page not found</h1>
<p>There is no page at this address. <a href="/">Back to your dashboard</a>.</p>
</section></main></body></html>
"""

# A dashboard page that failed on the server's side: no template (rendering may be what
# failed), nothing from the request, only the incident id the server logged.
SERVER_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Something went wrong · openscf</title>
<link rel="stylesheet" href="/static/dashboard.css"></head>
<body><main><section class="card narrow" data-page="server-error">
<h1>Something went wrong on our side</h1>
<p>This is not a mistake in what you did. Please try again in a moment; if it happens
again, contact the operator of this network and quote incident
<code data-incident>{incident}</code>.</p>
<p><a href="/">Back to your dashboard</a></p>
</section></main></body></html>
"""


def _wants_a_page(request: Request) -> bool:
    return not request.url.path.startswith("/v1") and "text/html" in request.headers.get(
        "accept", ""
    )


def _dashboard_page(request: Request) -> bool:
    """A dashboard request (anything outside /v1) is answered with a page, not JSON."""
    return not request.url.path.startswith("/v1")


def internal_error_response(request: Request, exc: BaseException) -> Response:
    """The one answer to an error on the system's side: logged with its traceback under a
    fresh incident id, answered 500 with that id and nothing of the exception."""
    incident = secrets.token_hex(6)
    code = exc.code if isinstance(exc, OpenSCFError) else type(exc).__name__
    # Method and path only: the query string, the body and the headers may hold secrets.
    log.error(
        "internal error, incident %s, on %s %s: %s",
        incident,
        request.method,
        request.url.path,
        code,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"incident": incident},
    )
    context = request_context.get()
    echoed = {"Request-Id": str(context["request_id"])} if context is not None else {}
    if _dashboard_page(request):
        from openscf.web.routes import SECURITY_HEADERS  # the dashboard's own

        return HTMLResponse(
            SERVER_ERROR_PAGE.format(incident=incident),
            status_code=500,
            headers={**SECURITY_HEADERS, **echoed},
        )
    internal = STATUS_TABLE[OpenSCFError]
    return JSONResponse(
        error_body(internal.type, INTERNAL_ERROR_CODE, internal_error_message(incident)),
        status_code=internal.status,
        headers=echoed,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenSCFError)
    async def _openscf(request: Request, exc: OpenSCFError) -> Response:
        if exc.fault == "system":
            return internal_error_response(request, exc)
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
            body = error_body(
                "not_found_error", "unknown_route", "no such endpoint; see /v1/openapi.json"
            )
        elif status == 405:
            body = error_body(
                "invalid_request_error",
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        elif status < 500:
            # FastAPI raises 400 for a body it cannot parse (deep nesting, bad encoding).
            body = error_body(
                "invalid_request_error",
                "invalid_body",
                str(exc.detail) if exc.detail else "the request is malformed",
            )
        else:  # pragma: no cover - nothing in openscf raises an HTTP 5xx on purpose
            return internal_error_response(request, exc)
        return JSONResponse(body, status_code=status, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        # A bug, never bad input (the tests hold that line): the system's side.
        return internal_error_response(request, exc)
