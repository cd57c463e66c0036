"""The fraud review queue on the dashboards (server-rendered, plain posts): the anchor sees
the flag on an invoice addressed to it with a clear button, its maker is refused, its
checker clears it; the operator's page shows every flag with the same button, the
auditor's without; the supplier, the funder and another anchor see no queue; a forged post
by another anchor changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from openscf.domain import commands as c

from ..api.conftest import World, build_world
from .test_web_trouble_forms import Tabs, _text, errors


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    w = build_world(engine)
    yield w
    w.client.close()


def _flag(w: World, number: str) -> str:
    return str(
        w.net.svc.handle(
            w.users["OP"],
            c.RaiseFraudFlag(
                "duplicates/1",
                "altered duplicate of INV-1",
                "ab" * 32,
                w.programs["P"],
                w.orgs["S0"],
                number,
            ),
        ).created["flag_id"]
    )


def test_the_anchors_checker_clears_a_flag_from_its_queue(world: World) -> None:
    w = world
    flag = _flag(w, "INV-Q1")
    tabs = Tabs(w, "A", "A_checker", "S0", "F", "B", "U", "OP")
    page = tabs.page("A_checker", "/anchor")
    assert f'data-flag="{flag}"' in page and 'data-form="clear-fraud-flag"' in page
    assert "altered duplicate of INV-1" in _text(page)
    r = tabs.post("A", "/anchor/actions/clear_fraud_flag", flag_id=flag, reason="fine")
    assert r.status_code == 403
    assert [code for code, _ in errors(r.text)] == ["permission_required"]
    # Another anchor's forged post is refused and changes nothing: the flag stays open.
    r = tabs.post("B", "/anchor/actions/clear_fraud_flag", flag_id=flag, reason="fine")
    assert r.status_code in (403, 404)
    assert f'data-flag="{flag}"' in tabs.page("A_checker", "/anchor")
    for who, path in (("S0", "/supplier"), ("F", "/funder"), ("B", "/anchor")):
        assert flag not in tabs.page(who, path)
    note = tabs.done(
        "A_checker",
        "/anchor/actions/clear_fraud_flag",
        flag_id=flag,
        reason="goods received, order found",
    )
    assert "Flag cleared" in note
    page = _text(tabs.page("A_checker", "/anchor"))
    assert "No open fraud flags." in page and "goods received, order found" in page


def test_the_operator_sees_every_flag_with_a_button_and_the_auditor_without(
    world: World,
) -> None:
    w = world
    flag = _flag(w, "INV-Q2")
    tabs = Tabs(w, "OP", "U")
    operator_page = tabs.page("OP", "/auditor")
    assert f'data-flag="{flag}"' in operator_page
    assert 'action="/auditor/actions/operator_clear_fraud_flag"' in operator_page
    auditor_page = tabs.page("U", "/auditor")
    assert f'data-flag="{flag}"' in auditor_page
    assert 'data-form="clear-fraud-flag"' not in auditor_page
    # The user who raised it may not clear it: the refusal is shown next to the queue.
    r = tabs.post("OP", "/auditor/actions/operator_clear_fraud_flag", flag_id=flag, reason="ok")
    assert [code for code, _ in errors(r.text)] == ["same_user_cannot_clear"]
