"""An error on the system's side (a bug, the operator's own log broken) is a 500 with the
one error shape, never a 4xx that blames the request; the server logs it with its
traceback under the incident id the client is given, and logs nothing of the request."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest

from openscf.app.witness import ForkDetected
from openscf.store.uow import LogIntegrityError

from .conftest import DUE, TestClient, World, assert_error

INTERNALS = "tile 7 of level 0 is damaged"  # what only the server may know

FAILURES: dict[str, Callable[[], Exception]] = {
    "a bug": lambda: RuntimeError(INTERNALS),
    "the log's integrity": lambda: LogIntegrityError(INTERNALS),
    "a fork": lambda: ForkDetected(INTERNALS),
}


def _failing(error: Callable[[], Exception]) -> Callable[..., Any]:
    def handle(*_args: object, **_kwargs: object) -> Any:
        raise error()

    return handle


def _incident(text: str) -> str:
    found = re.search(r"incident ([0-9a-f]{12})", text)
    assert found, text
    return found.group(1)


@pytest.mark.parametrize("failure", list(FAILURES))
def test_an_internal_error_is_a_500_with_the_error_shape_and_a_log_record(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    monkeypatch.setattr(world.net.svc, "handle", _failing(FAILURES[failure]))
    body = {
        "program_id": world.programs["P"],
        "supplier_id": world.orgs["S0"],
        "invoice_number": "INV-PRIVATE-4711",
        "amount_minor": 100_000_00,
        "currency": "EUR",
        "due_on": DUE,
    }
    with (
        caplog.at_level(logging.ERROR, logger="openscf.api"),
        TestClient(
            world.client.app, base_url="https://testserver", raise_server_exceptions=False
        ) as client,
    ):
        response = client.post("/v1/confirmations", json=body, headers=world.h("A"))
    error = assert_error(response, 500, "internal_error")
    assert error["type"] == "api_error" and error["param"] is None
    assert "server's side" in error["message"] and "retry" in error["message"]
    assert "operator" in error["message"]
    assert INTERNALS not in response.text and "Traceback" not in response.text
    assert "log_integrity_failure" not in response.text
    assert "fork_detected" not in response.text
    incident = _incident(error["message"])
    (record,) = [
        r for r in caplog.records if r.name == "openscf.api" and r.levelno == logging.ERROR
    ]
    assert incident in record.getMessage() and "POST /v1/confirmations" in record.getMessage()
    assert record.exc_info is not None and INTERNALS in str(record.exc_info[1])
    # Nothing of the request in the server's log: no body, no credential.
    assert "INV-PRIVATE-4711" not in caplog.text
    assert world.keys["A"] not in caplog.text


def test_the_log_breaking_on_a_read_is_a_500_too(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reads = world.client.app.state.openscf.reads  # type: ignore[attr-defined]
    monkeypatch.setattr(reads, "receivables", _failing(FAILURES["the log's integrity"]))
    with caplog.at_level(logging.ERROR, logger="openscf.api"):
        response = world.get("A", "/v1/receivables")
    error = assert_error(response, 500, "internal_error")
    assert _incident(error["message"]) in caplog.text


def test_a_refusal_is_still_the_callers_4xx(world: World) -> None:
    # The other side of the line: the request's own fault keeps its status and code.
    body = {
        "program_id": world.programs["P"],
        "supplier_id": world.orgs["S0"],
        "invoice_number": "X",
        "amount_minor": 100,
        "currency": "XYZ",
        "due_on": DUE,
    }
    error = assert_error(world.post("A", "/v1/confirmations", body), 400)
    assert error["type"] == "invalid_request_error"
