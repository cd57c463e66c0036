"""The dashboards show trade gone wrong (no browser needed: the pages are server-rendered):
the funder its put-backs, the seller the recourse obligation it owes and the credits and
disputes held against it, the anchor its credits and disputes, amounts as people read them.
Nobody else's page shows any of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from openscf.web.routes import SESSION_COOKIE

from ..api.conftest import World, build_world
from ..api.test_api_trouble import _defaulted


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    w = build_world(engine)
    yield w
    w.client.close()


def _page(w: World, who: str, path: str) -> str:
    auth = w.auth
    auth.set_password(w.users[who], f"login-{who.lower()}", "a long enough password 1")
    session = auth.login_with_password(f"login-{who.lower()}", "a long enough password 1")
    w.client.cookies.clear()
    w.client.cookies.set(SESSION_COOKIE, session.session_id)
    r = w.client.get(path)
    assert r.status_code == 200, r.text[:500]
    return r.text


def test_each_party_sees_its_side_of_trade_gone_wrong(world: World) -> None:
    w = world
    bought = _defaulted(w)
    owed = w.post("F", f"/v1/receivables/{bought}/put_back").json()["recourse_obligation"]
    invoice = w.confirm(20_000_00, program="R", due_on="2026-09-30")
    w.post(
        "A",
        f"/v1/invoices/{invoice['id']}/credit_notes",
        {"credit_note_number": "CN-77", "amount_minor": 1_234_56},
    )
    w.post(
        "A",
        "/v1/disputes",
        {
            "program_id": w.programs["R"],
            "supplier_id": w.orgs["S0"],
            "invoice_number": "INV-DISPUTED",
            "amount_minor": 500_00,
            "reason": "broken pallets",
        },
    )
    funder = _page(w, "F", "/funder")
    assert 'data-table="recourse-owed-to-you"' in funder and owed["id"] in funder
    assert "10,000.00 EUR" in funder
    supplier = _page(w, "S0", "/supplier")
    assert 'data-table="recourse-you-owe"' in supplier and owed["id"] in supplier
    assert "CN-77" in supplier and "1,234.56 EUR" in supplier
    assert "INV-DISPUTED" in supplier and "held back from confirmation" in supplier
    # Once the seller pays, both still see the obligation, settled.
    assert w.post("S0", f"/v1/receivables/{owed['id']}/settle").status_code == 200
    assert owed["id"] in _page(w, "F", "/funder") and owed["id"] in _page(w, "S0", "/supplier")
    anchor = _page(w, "A", "/anchor")
    assert "CN-77" in anchor and "broken pallets" in anchor and "500.00 EUR" in anchor
    other = _page(w, "S1", "/supplier")
    assert "CN-77" not in other and owed["id"] not in other and "broken pallets" not in other
