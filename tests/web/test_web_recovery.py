"""The "partly paid and defaulted" panel on the anchor, supplier, funder and operator
(auditor) pages, served over HTTP without a browser: outstanding against paid, the claim
with each holder's line, the recoveries, and the loss with loss given default."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine

from openscf.domain import commands as c

from ..api.conftest import build_world
from ..api.test_api_recovery import _op_org


def _page(world, user: str, path: str) -> str:  # type: ignore[no-untyped-def]
    session = world.auth.start_session(user)
    world.client.cookies.set("openscf_session", session.session_id)
    r = world.client.get(path)
    world.client.cookies.clear()
    assert r.status_code == 200, r.text[:500]
    return str(r.text)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_each_role_page_shows_paid_outstanding_claims_recoveries_and_loss(engine: Engine) -> None:
    world = build_world(engine)
    try:
        svc, users, orgs = world.net.svc, world.users, world.orgs
        paid_part = world.confirm(50_000_00)["receivable_id"]
        defaulted = world.confirm(100_000_00, supplier="S1")["receivable_id"]
        empty = _text(_page(world, users["S0"], "/supplier"))
        assert "No piece is paid in part." in empty and "No default claims." in empty
        world.net.clock.set(datetime(2026, 5, 29, 10, tzinfo=UTC))
        svc.handle(users["A"], c.RecordPayment(paid_part, 20_000_00))
        svc.handle(users["A"], c.RecordPayment(defaulted, 10_000_00))
        anchor = _text(_page(world, users["A"], "/anchor"))
        assert "20,000.00 EUR" in anchor and "30,000.00 EUR" in anchor  # paid, outstanding
        clerk = svc.handle(
            users["OP"], c.AddUser(_op_org(world), "clerk", ("maker", "checker"))
        ).created["user_id"]
        out = svc.handle(clerk, c.RequestObligorDefault(orgs["A"], "insolvency"))
        svc.handle(users["OP"], c.ApproveObligorDefault(out.created["approval_id"]))
        claim = out.created["claim_id"]
        svc.handle(users["OP"], c.RecordRecovery(claim, 30_000_00, "EUR", "the administrator"))
        svc.handle(users["OP"], c.CloseDefaultClaim(claim))

        s1 = _page(world, users["S1"], "/supplier")
        assert f'data-claim="{claim}"' in s1 and f'data-receivable="{defaulted}"' in s1
        assert f'data-receivable="{paid_part}"' not in s1  # S0's piece: not S1's business
        s1_text = _text(s1)
        assert "lacked 90,000.00 EUR" in s1_text and "loss 67,500.00 EUR" in s1_text
        operator = _text(_page(world, users["OP"], "/auditor"))
        assert "30,000.00 EUR from the administrator" in operator
        assert "loss 90,000.00 EUR" in operator and "75.00 %" in operator  # LGD, program P
        assert f'data-claim="{claim}"' not in _page(world, users["B"], "/anchor")
        assert "No default claims." in _text(_page(world, users["F"], "/funder"))
    finally:
        world.client.close()
