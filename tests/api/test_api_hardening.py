"""Holes closed at the edge of the API: duplicate JSON keys, the docs UI and its headers."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import Engine

from openscf.api import create_app
from openscf.api.docs import swagger_ui_dir
from openscf.client import RequestSigner
from openscf.domain import commands as c
from openscf.trust.keys import SigningKey, encode_public_key
from openscf.web.routes import SECURITY_HEADERS

from .conftest import TestClient, World, assert_error


def _raw(world: World, who: str, path: str, text: str) -> object:
    return world.client.post(
        path, content=text.encode(), headers=world.h(who, **{"Content-Type": "application/json"})
    )


def test_a_body_naming_a_key_twice_is_refused_rather_than_read_as_the_last_one(
    world: World,
) -> None:
    piece = world.confirm(100_000_00)["receivable_id"]
    rows = world.rows()
    # A reviewer reading the first copy would approve a harmless split; the last one wins
    # in Python's parser.
    split = '{"amounts_minor": [50000000, 50000000], "amounts_minor": [1, 9999999]}'
    error = assert_error(
        _raw(world, "S0", f"/v1/receivables/{piece}/split", split), 400, "invalid_json"
    )
    assert "amounts_minor" in error["message"] and "twice" in error["message"]
    # Nested objects too, on another endpoint.
    program = {
        "name": "dup",
        "currency": "EUR",
        "max_tenor_days": 120,
        "program_limit_minor": 10**10,
        "supplier_limit_minor": 10**9,
        "funder_limit_minor": 10**9,
    }
    text = json.dumps(program)[:-1] + ', "currency": "USD"}'
    assert_error(_raw(world, "A", "/v1/programs", text), 400, "invalid_json")
    assert world.rows() == rows
    # The same bodies without the duplicate go through (the refusal is about the key).
    assert _raw(world, "A", "/v1/programs", json.dumps(program)).status_code == 201


def test_a_signed_request_naming_a_key_twice_is_refused(world: World) -> None:
    piece = world.confirm(supplier="S1")["receivable_id"]
    key = SigningKey.generate()
    r = world.post(
        "S1",
        "/v1/keys",
        {"org_id": world.orgs["S1"], "public_key": encode_public_key(key.public_key)},
    )
    assert r.status_code == 201, r.text
    signed = RequestSigner(r.json()["id"], key).sign(
        c.SplitReceivable(piece, (30_000_00, 70_000_00)),
        world.orgs["S1"],
        world.users["S1"],
        world.net.clock.now(),
    )
    rows = world.rows()
    body = signed.to_json()
    # The outer body, with the key id twice ...
    outer = json.dumps(body)[:-1] + f', "key_id": {json.dumps(body["key_id"])}}}'
    assert_error(_raw(world, "S1", "/v1/signed_requests", outer), 400, "invalid_json")
    # ... and the signed envelope inside, naming another actor first and S1 last.
    envelope = '{"actor": ' + json.dumps(world.users["S0"]) + ", " + body["request"][1:]
    assert json.loads(envelope)["actor"] == world.users["S1"]
    error = assert_error(
        world.post("S1", "/v1/signed_requests", {**body, "request": envelope}), 400, "invalid_json"
    )
    assert error["param"] == "request"
    assert world.rows() == rows
    assert world.post("S1", "/v1/signed_requests", body).status_code == 201


def test_the_docs_ui_is_off_by_default_and_the_openapi_document_carries_the_headers(
    world: World,
) -> None:
    assert_error(world.client.get("/v1/docs"), 404, "unknown_route")
    document = world.client.get("/v1/openapi.json")
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.")
    for name, value in SECURITY_HEADERS.items():
        assert document.headers.get(name) == value, name


def test_the_docs_ui_when_asked_for_loads_nothing_from_elsewhere_under_the_dashboard_csp(
    engine: Engine,
) -> None:
    if swagger_ui_dir() is None:
        pytest.skip(
            "the docs UI needs the swagger-ui-py package "
            "(pip install 'openscf[docs]'); it is not installed"
        )
    client = TestClient(create_app(engine, docs=True), base_url="https://testserver")
    page = client.get("/v1/docs")
    assert page.status_code == 200
    # Every script and stylesheet comes from this server, none is inline.
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page.text)
    assert len(sources) == 3 and all(s.startswith("/v1/docs/") for s in sources), sources
    assert re.findall(r"<script>", page.text) == [] and "<style" not in page.text
    assert "//" not in page.text.replace("</", "")
    for response in [page, *(client.get(s) for s in sources)]:
        assert response.status_code == 200, response.url
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.url, name)
    assert "SwaggerUIBundle" in client.get("/v1/docs/assets/swagger-ui-bundle.js").text
    client.close()


def test_organisation_and_user_names_that_would_display_falsely_are_refused(world: World) -> None:
    rows = world.rows()
    spoof = "Bank \u202eGA knaB"  # shows as "Bank Bank AG"
    error = assert_error(
        world.post(
            "OP", "/v1/organisations", {"name": spoof, "roles": ["funder"], "country": "DE"}
        ),
        400,
        "invalid_name",
    )
    assert "U+202E" in error["message"]
    assert_error(
        world.post(
            "A",
            "/v1/users",
            {"org_id": world.orgs["A"], "name": "ad\u200bmin", "permissions": ["viewer"]},
        ),
        400,
        "invalid_name",
    )
    assert world.rows() == rows
    # Full-width letters are stored as the plain ones.
    created = world.post(
        "OP",
        "/v1/organisations",
        {"name": "\uff21\uff43\uff4d\uff45 Bank", "roles": ["funder"], "country": "DE"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Acme Bank"
