"""The log formats: one JSON object per line with the request's context, and the last
guard that masks anything shaped like an API key or a bearer credential."""

from __future__ import annotations

import json
import logging

from openscf.logs import JsonFormatter, RequestContext, TextFormatter, request_context


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("openscf.test", logging.WARNING, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_carries_the_request_context_and_the_known_extra_fields() -> None:
    token = request_context.set(RequestContext(request_id="req_1", org_id="org_a", user_id="usr_b"))
    try:
        line = json.loads(JsonFormatter().format(_record("hello", route="/v1/x", body="no")))
    finally:
        request_context.reset(token)
    assert line["level"] == "warning" and line["message"] == "hello"
    assert (line["request_id"], line["org_id"], line["user_id"]) == ("req_1", "org_a", "usr_b")
    assert line["route"] == "/v1/x" and "body" not in line


def test_anything_shaped_like_a_credential_is_masked_in_both_formats() -> None:
    leaked = (
        "key sk_3f9a1b2c_Zm9vYmFyYmF6cXV4 then Authorization: Bearer abcdefghijklmnop "
        "password=hunter22"
    )
    for formatter in (JsonFormatter(), TextFormatter()):
        text = formatter.format(_record(leaked))
        assert "sk_3f9a1b2c_Zm9vYmFyYmF6cXV4" not in text and "abcdefghijklmnop" not in text
        assert "hunter22" not in text and "***" in text
