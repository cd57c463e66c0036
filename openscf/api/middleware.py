"""ASGI middleware: a hard limit on request bodies, and JSON-only bodies on the API.

Pure ASGI (no BaseHTTPMiddleware): the body is read here, at most `max_body_bytes` of it,
and handed on unchanged; anything larger is refused with 413 before the app sees a byte,
whether the client announced its length or streamed it chunked. The whole body must
arrive within `body_timeout_seconds` of the request's start, or the request is refused
with 408 and the connection closed (a client trickling a body byte by byte holds nothing
open for long).

A JSON body under /v1/ that names the same key twice in one object is refused with 400
`invalid_json`: parsers disagree on which copy wins, and a body is what gets signed and
logged, so it must mean one thing (`loads_strict` is the one parse that refuses them).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["BodyLimitMiddleware", "DuplicateKey", "loads_strict"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON_TYPES = ("application/json", "application/merge-patch+json")


class DuplicateKey(ValueError):
    """A JSON object names the same key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears twice in one object; send each key once")
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def loads_strict(data: str | bytes) -> Any:
    """`json.loads`, refusing an object that names a key twice (`DuplicateKey`)."""
    return json.loads(data, object_pairs_hook=_no_duplicates)


def _duplicate_key(body: bytes) -> str | None:
    """The message for a body with a duplicate key; None otherwise (a body that is not
    JSON at all is left to the app's parser, which says why)."""
    try:
        loads_strict(body)
    except DuplicateKey as exc:
        return f"the body is not valid JSON: {exc}"
    except (ValueError, RecursionError):
        return None
    return None


async def _reply(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(
        {
            "error": {
                "type": "invalid_request_error",
                "code": code,
                "message": message,
                "param": None,
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int = 1 << 20,
        json_prefix: str = "/v1/",
        body_timeout_seconds: float = 30.0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.json_prefix = json_prefix
        self.body_timeout_seconds = body_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = self.max_body_bytes
        too_large = f"the body is larger than {limit} bytes"
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    await _reply(send, 413, "body_too_large", too_large)
                    return
            except ValueError:
                await _reply(send, 400, "invalid_header", "Content-Length is not a number")
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        deadline = time.monotonic() + self.body_timeout_seconds
        while more:
            try:
                message = await asyncio.wait_for(receive(), deadline - time.monotonic())
            except TimeoutError:
                await _reply(
                    send,
                    408,
                    "body_timeout",
                    f"the body did not arrive within {self.body_timeout_seconds:g} "
                    "seconds; send it in one go",
                )
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _reply(send, 413, "body_too_large", too_large)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and scope["path"].startswith(self.json_prefix):
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            media = content_type.split(";", 1)[0].strip().lower()
            if media not in _JSON_TYPES:
                await _reply(
                    send,
                    415,
                    "unsupported_media_type",
                    "send the body as JSON with Content-Type: application/json",
                )
                return
            duplicate = _duplicate_key(body)
            if duplicate is not None:
                await _reply(send, 400, "invalid_json", duplicate)
                return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
