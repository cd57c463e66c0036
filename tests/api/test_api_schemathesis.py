"""schemathesis against the OpenAPI document: no generated request, valid or invalid,
gets a 5xx. Authenticated as a demo user (the anchor's treasury, a maker and admin), on
SQLite; a bounded number of examples per operation keeps the run under two minutes."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from openscf.api.openapi import openapi_document
from openscf.store import make_engine, migrate, sqlite_url

from .conftest import World, build_world

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.config import SchemathesisConfig

EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    engine = make_engine(sqlite_url(Path(tmp_path_factory.mktemp("st")) / "openscf.db"))
    migrate(engine)
    world = build_world(engine)
    # Some history for the generated requests to run into.
    for i in range(3):
        rid = world.confirm(100_000_00 + i)["receivable_id"]
        world.post("S0", "/v1/financing_requests", {"receivable_id": rid})
    yield world
    world.client.close()
    engine.dispose()


schema = schemathesis.openapi.from_dict(
    openapi_document(),
    config=SchemathesisConfig.from_dict(
        {"generation": {"mode": "all", "max-examples": EXAMPLES_PER_OPERATION}}
    ),
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck)
)
def test_no_generated_request_gets_a_server_error(case: Any, served: World) -> None:
    kwargs = case.as_transport_kwargs(
        base_url="https://testserver", headers={"Authorization": f"Bearer {served.keys['A']}"}
    )
    request = {k: kwargs[k] for k in ("method", "url", "params") if kwargs.get(k) is not None}
    # Generated header values may be any text: send them as raw bytes, as a client could.
    headers = {
        k: v.encode() if isinstance(v, str) else v for k, v in (kwargs.get("headers") or {}).items()
    }
    if kwargs.get("cookies"):
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items()).encode()
    request["headers"] = headers
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"]
    response = served.client.request(**request)
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert {"type", "code", "message", "param"} == set(body["error"])
