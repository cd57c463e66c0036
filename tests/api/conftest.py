"""A served network for the API tests: two anchors with their own programs, funders,
suppliers, an auditor, and an API key for every user, behind FastAPI's TestClient.

    program P (anchor A): funder F, suppliers S0, S1, S2
    program Q (anchor B): funder G, supplier T
    auditor U (read-only), the operator
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from openscf.api import create_app
from openscf.sim.network_builder import NetworkBuilder
from openscf.store import tables as t

from ..conftest import Net, build_net

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DUE = "2026-05-29"


@dataclass
class World:
    net: Net
    client: TestClient
    keys: dict[str, str]
    users: dict[str, str]
    orgs: dict[str, str]
    programs: dict[str, str]
    engine: Engine
    seen: list[Any] = field(default_factory=list)

    @property
    def auth(self) -> Any:
        return self.client.app.state.openscf.auth  # type: ignore[attr-defined]

    def h(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}", **extra}

    def get(self, who: str, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.h(who), **kw)

    def post(self, who: str, path: str, body: Any = None, **kw: Any) -> Any:
        headers = {**self.h(who), **kw.pop("headers", {})}
        if body is None:
            return self.client.post(path, headers=headers, **kw)
        return self.client.post(path, headers=headers, json=body, **kw)

    def confirm(
        self,
        amount: int = 100_000_00,
        supplier: str = "S0",
        who: str = "A",
        program: str = "P",
        **extra: Any,
    ) -> dict[str, Any]:
        body = {
            "program_id": self.programs[program],
            "supplier_id": self.orgs[supplier],
            "invoice_number": extra.pop("number", None) or f"INV-{len(self.seen)}",
            "amount_minor": amount,
            "currency": "EUR",
            "due_on": DUE,
            **extra,
        }
        self.seen.append(body)
        r = self.post(who, "/v1/confirmations", body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def log_size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(t.log_head.c.size)).scalar_one())

    def rows(self) -> dict[str, int]:
        """Row counts of every table: 'nothing changed' means these are equal."""
        with self.engine.connect() as conn:
            return {
                tb.name: conn.execute(select(func.count()).select_from(tb)).scalar_one()
                for tb in t.metadata.sorted_tables
            }


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """A refusal with the one error shape."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"type", "code", "message", "param"}, error
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error  # type: ignore[no-any-return]


def build_world(engine: Engine) -> World:
    net = build_net(engine)
    svc, op = net.svc, net.operator
    builder = NetworkBuilder(svc, op)
    anchor_b, funder_g = builder.anchor("Other Anchor AG"), builder.funder("Other Bank AG")
    supplier_t = builder.supplier("Other Supplier")
    auditor = builder.firm("Audit GmbH", ("auditor",), permissions=("viewer",))
    q = builder.program(anchor_b, "Q", funders=[funder_g], suppliers=[supplier_t])
    s_viewer = builder.user(net.suppliers[0], "S0 viewer", ("viewer",))
    users = {
        "A": net.anchor_user,
        "A_checker": net.anchor_checker,
        "A_viewer": net.viewer,
        "F": net.funder_user,
        "S0": net.supplier_users[0],
        "S1": net.supplier_users[1],
        "S2": net.supplier_users[2],
        "S0_viewer": s_viewer,
        "B": anchor_b.user_id,
        "G": funder_g.user_id,
        "T": supplier_t.user_id,
        "U": auditor.user_id,
        "OP": op,
    }
    orgs = {
        "A": net.anchor,
        "F": net.funder,
        "S0": net.suppliers[0],
        "S1": net.suppliers[1],
        "S2": net.suppliers[2],
        "B": anchor_b.org_id,
        "G": funder_g.org_id,
        "T": supplier_t.org_id,
        "U": auditor.org_id,
    }
    app = create_app(engine, net.clock, service=svc, auth_cache_seconds=0)
    auth = app.state.openscf.auth
    keys = {}
    for name, user in users.items():
        secret = auth.issue_api_key(user, f"test {name}").secret
        assert secret is not None
        keys[name] = secret
    client = TestClient(app, base_url="https://testserver")
    return World(net, client, keys, users, orgs, {"P": net.program_id, "Q": q}, engine)


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    w = build_world(engine)
    yield w
    w.client.close()


def due(days: int = 0) -> str:
    return date.fromordinal(date(2026, 5, 29).toordinal() + days).isoformat()
