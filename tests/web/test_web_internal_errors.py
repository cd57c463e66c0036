"""The dashboard on the system's side of an error: a friendly 500 page (not JSON, not a
traceback, never a 4xx that blames the person), logged with its traceback under the
incident id the page shows. Served through the API app like in production; no browser."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

import openscf.web.views
from openscf.app.witness import ForkDetected
from openscf.store.uow import LogIntegrityError

from ..api.conftest import DUE, TestClient, World, build_world

INTERNALS = "tile 7 of level 0 is damaged"
PASSWORD = "password-of-the-anchor"

FAILURES: dict[str, Callable[[], Exception]] = {
    "a bug": lambda: RuntimeError(INTERNALS),
    "the log's integrity": lambda: LogIntegrityError(INTERNALS),
    "a fork": lambda: ForkDetected(INTERNALS),
}


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    w = build_world(engine)
    yield w
    w.client.close()


@pytest.fixture
def browser(world: World) -> Iterator[tuple[TestClient, str]]:
    """A logged-in dashboard session of the anchor's user: (client, CSRF token)."""
    world.auth.set_password(world.users["A"], "anchor-a", PASSWORD)
    with TestClient(
        world.client.app, base_url="https://testserver", raise_server_exceptions=False
    ) as client:
        r = client.post("/v1/sessions", json={"login": "anchor-a", "password": PASSWORD})
        assert r.status_code == 201, r.text
        yield client, str(r.json()["csrf_token"])


def _failing(error: Callable[[], Exception]) -> Callable[..., Any]:
    def broken(*_args: object, **_kwargs: object) -> Any:
        raise error()

    return broken


def _confirm_form(world: World, csrf: str, amount: str = "1,000.00") -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "program_id": world.programs["P"],
        "supplier_id": world.orgs["S0"],
        "invoice_number": "INV-PRIVATE-4711",
        "amount": amount,
        "due_on": DUE,
        "confirmed": "yes",
    }


def _server_error_page(response: Any, caplog: pytest.LogCaptureFixture) -> str:
    """The friendly page, and the log record it points to; returns the incident id."""
    assert response.status_code == 500, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    page = response.text
    assert page.startswith("<!doctype html>")
    assert "Something went wrong on our side" in page and "try again" in page
    assert "operator" in page
    assert INTERNALS not in page and "Traceback" not in page and '"error"' not in page
    found = re.search(r"data-incident>([0-9a-f]{12})<", page)
    assert found, page
    (record,) = [
        r for r in caplog.records if r.name == "openscf.api" and r.levelno == logging.ERROR
    ]
    assert found.group(1) in record.getMessage()
    assert record.exc_info is not None and INTERNALS in str(record.exc_info[1])
    assert PASSWORD not in caplog.text and "INV-PRIVATE-4711" not in caplog.text
    return found.group(1)


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_form_whose_command_fails_on_the_servers_side_gets_the_500_page(
    world: World,
    browser: tuple[TestClient, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    client, csrf = browser
    monkeypatch.setattr(world.net.svc, "handle", _failing(FAILURES[failure]))
    with caplog.at_level(logging.ERROR, logger="openscf.api"):
        response = client.post(
            "/anchor/actions/confirm", data=_confirm_form(world, csrf), follow_redirects=False
        )
    _server_error_page(response, caplog)


def test_a_page_that_fails_to_render_gets_the_500_page(
    world: World,
    browser: tuple[TestClient, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _ = browser
    monkeypatch.setattr(openscf.web.views, "anchor_view", _failing(FAILURES["a bug"]))
    with caplog.at_level(logging.ERROR, logger="openscf.api"):
        response = client.get("/anchor", headers={"Accept": "text/html"})
    _server_error_page(response, caplog)


def test_a_persons_mistake_is_still_shown_next_to_the_form_with_a_4xx(
    world: World, browser: tuple[TestClient, str]
) -> None:
    client, csrf = browser
    response = client.post(
        "/anchor/actions/confirm",
        data=_confirm_form(world, csrf, amount="12.500,00"),
        follow_redirects=False,
    )
    assert response.status_code == 400, response.text
    assert "Something went wrong on our side" not in response.text
    assert "12.500,00" in response.text  # the form, as typed, with the refusal beside it
