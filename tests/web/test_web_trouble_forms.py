"""The dashboard's forms for trade gone wrong, over HTTP without a browser (the pages are
server-rendered and the forms plain posts): the anchor pays part of a due piece, records a
credit note, raises and withdraws a dispute; the supplier agrees a dispute and pays a
recourse obligation; the funder puts back a defaulted piece; the operator asks for an
obligor's default, a second operator user approves it, records a recovery and closes the
claim. Each refusal is one line next to the form, and a forged post by another
organisation changes nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from openscf.domain import commands as c
from openscf.web.routes import SESSION_COOKIE

from ..api.conftest import World, build_world
from ..api.test_api_recovery import _op_org
from ..api.test_api_trouble import _defaulted


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    w = build_world(engine)
    yield w
    w.client.close()


class Tabs:
    """One browser session per user of the world (opened before anything is measured)."""

    def __init__(self, w: World, *who: str) -> None:
        self.w = w
        self.sessions = {name: w.auth.start_session(w.users[name]) for name in who}

    def _use(self, who: str) -> str:
        session = self.sessions[who]
        self.w.client.cookies.clear()
        self.w.client.cookies.set(SESSION_COOKIE, session.session_id)
        return str(session.principal.csrf_token)

    def page(self, who: str, path: str) -> str:
        self._use(who)
        r = self.w.client.get(path)
        assert r.status_code == 200, r.text[:500]
        return str(r.text)

    def post(self, who: str, path: str, **fields: str) -> Any:
        csrf = self._use(who)
        return self.w.client.post(path, data={"csrf_token": csrf, **fields}, follow_redirects=False)

    def done(self, who: str, path: str, **fields: str) -> str:
        """Post the form (saying yes to its question, if it asks one); the note shown."""
        r = self.post(who, path, **fields)
        if r.status_code == 200 and "data-question" in r.text:
            r = self.post(who, path, confirmed="yes", **fields)
        assert r.status_code == 303, (r.status_code, errors(r.text), r.text[:300])
        role_page = r.headers["location"]
        return _text(self.page(who, role_page))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def errors(page: str) -> list[tuple[str, str]]:
    """(code, message) of every form error the page shows."""
    return [
        (code, html.unescape(_text(msg)).strip())
        for code, msg in re.findall(
            r'<p class="form-error" role="alert" data-error-code="([a-z_]+)">(.*?)</p>', page, re.S
        )
    ]


def refused(r: Any, status: int, code: str) -> str:
    """The one-line refusal shown next to the form: no traceback, one error, its code."""
    assert r.status_code == status, (r.status_code, errors(r.text), r.text[:300])
    [(shown, message)] = errors(r.text)
    assert shown == code, (shown, message)
    assert "\n" not in message and "Traceback" not in r.text and message
    return message


def _piece(w: World, who: str, rid: str) -> dict[str, Any]:
    r = w.get(who, f"/v1/receivables/{rid}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_the_anchor_pays_part_of_a_due_piece_and_sees_what_stays_owed(world: World) -> None:
    w = world
    rid = w.confirm(50_000_00)["receivable_id"]
    before = Tabs(w, "A").page("A", "/anchor")
    assert 'data-form="pay-part"' not in before  # not yet due: nothing to pay
    w.net.clock.set(datetime(2026, 5, 29, 10, tzinfo=UTC))
    tabs = Tabs(w, "A", "B")  # sessions opened on the new day (they would have expired)
    assert 'data-form="pay-part"' in tabs.page("A", "/anchor")
    # The question shows the amount back in the currency's words before anything runs.
    size = w.log_size()
    asked = tabs.post("A", "/anchor/actions/pay_part", receivable_id=rid, amount="20,000.00")
    assert asked.status_code == 200 and "Pay 20,000.00 EUR of the piece" in _text(asked.text)
    assert w.log_size() == size
    page = tabs.done("A", "/anchor/actions/pay_part", receivable_id=rid, amount="20,000.00")
    assert "Payment recorded" in page
    piece = _piece(w, "A", rid)
    assert piece["paid_minor"] == 20_000_00 and piece["status"] != "settled"
    assert "30,000.00 EUR" in page  # what is still owed, on the partly paid panel
    # A typed amount the one format refuses: one line, nothing sent.
    rows = w.rows()
    bad = tabs.post(
        "A", "/anchor/actions/pay_part", receivable_id=rid, amount="12.500,00", confirmed="yes"
    )
    assert "decimal amount" in refused(bad, 400, "invalid_amount")
    # Another anchor forges the form for A's piece: refused, nothing changes.
    forged = tabs.post(
        "B", "/anchor/actions/pay_part", receivable_id=rid, amount="1.00", confirmed="yes"
    )
    refused(forged, 404, "unknown_receivable")
    assert w.rows() == rows and _piece(w, "A", rid)["paid_minor"] == 20_000_00


def test_credit_note_and_disputes_raised_withdrawn_and_agreed(world: World) -> None:
    w = world
    invoice = w.confirm(20_000_00)
    tabs = Tabs(w, "A", "S0", "S1", "B")
    anchor = tabs.page("A", "/anchor")
    assert 'data-form="credit-note"' in anchor and 'data-form="raise-dispute"' in anchor
    # Another anchor forges the anchor's forms: refused, nothing changes.
    rows = w.rows()
    refused(
        tabs.post(
            "B",
            "/anchor/actions/credit_note",
            invoice_id=invoice["id"],
            credit_note_number="CN-X",
            amount="1.00",
            confirmed="yes",
        ),
        404,
        "unknown_invoice",
    )
    refused(
        tabs.post(
            "B",
            "/anchor/actions/raise_dispute",
            program_id=w.programs["P"],
            supplier_id=w.orgs["S0"],
            invoice_number="INV-X",
            amount="1.00",
            reason="forged",
        ),
        404,
        "unknown_program",
    )
    assert w.rows() == rows
    page = tabs.done(
        "A",
        "/anchor/actions/credit_note",
        invoice_id=invoice["id"],
        credit_note_number="CN-9",
        amount="1,234.56",
    )
    assert "Credit note recorded" in page and "CN-9" in page and "1,234.56 EUR" in page
    for number in ("INV-KEEP", "INV-DROP"):
        page = tabs.done(
            "A",
            "/anchor/actions/raise_dispute",
            program_id=w.programs["P"],
            supplier_id=w.orgs["S0"],
            invoice_number=number,
            amount="500.00",
            reason="broken pallets",
        )
        assert "Dispute raised" in page
    disputes = {d["invoice_number"]: d["id"] for d in w.get("A", "/v1/disputes").json()["data"]}
    keep, drop = disputes["INV-KEEP"], disputes["INV-DROP"]
    assert "Dispute withdrawn" in tabs.done(
        "A", "/anchor/actions/withdraw_dispute", dispute_id=drop
    )
    supplier = tabs.page("S0", "/supplier")
    assert 'data-form="agree-dispute"' in supplier and f'value="{keep}"' in supplier
    assert f'name="dispute_id" value="{drop}"' not in supplier  # withdrawn: nothing to agree
    # More than was disputed: the domain's one line, nothing changes.
    rows = w.rows()
    refused(
        tabs.post("S0", "/supplier/actions/agree_dispute", dispute_id=keep, amount="600.00"),
        400,
        "agreed_exceeds_dispute",
    )
    # Another supplier, and another anchor, forge the forms: refused, nothing changes.
    refused(
        tabs.post("S1", "/supplier/actions/agree_dispute", dispute_id=keep), 404, "unknown_dispute"
    )
    refused(
        tabs.post("B", "/anchor/actions/withdraw_dispute", dispute_id=keep), 404, "unknown_dispute"
    )
    assert w.rows() == rows
    page = tabs.done("S0", "/supplier/actions/agree_dispute", dispute_id=keep, amount="300.00")
    assert "Dispute agreed" in page and "300.00 EUR" in page
    statuses = {
        d["id"]: (d["status"], d["agreed_minor"]) for d in w.get("A", "/v1/disputes").json()["data"]
    }
    assert statuses[keep] == ("agreed", 300_00) and statuses[drop][0] == "withdrawn"


def test_the_funder_puts_back_and_the_seller_pays_from_the_page(world: World) -> None:
    w = world
    bought = _defaulted(w)
    tabs = Tabs(w, "F", "G", "S0", "S1")
    funder = tabs.page("F", "/funder")
    assert 'data-form="put-back"' in funder and f'value="{bought}"' in funder
    rows = w.rows()
    refused(
        tabs.post("G", "/funder/actions/put_back", receivable_id=bought), 404, "unknown_receivable"
    )
    assert w.rows() == rows
    page = tabs.done("F", "/funder/actions/put_back", receivable_id=bought)
    assert "Piece put back" in page and 'data-form="put-back"' not in tabs.page("F", "/funder")
    [owed] = w.get("S0", "/v1/receivables", params={"status": "recourse_due"}).json()["data"]
    supplier = tabs.page("S0", "/supplier")
    assert 'data-form="pay-recourse"' in supplier and "Pay 10,000.00 EUR" in _text(supplier)
    # Another supplier forges the payment: refused (its page has no recourse panel, yet the
    # one line is shown), nothing changes.
    rows = w.rows()
    refused(
        tabs.post("S1", "/supplier/actions/pay_recourse", receivable_id=owed["id"]),
        404,
        "unknown_receivable",
    )
    assert w.rows() == rows
    page = tabs.done("S0", "/supplier/actions/pay_recourse", receivable_id=owed["id"])
    assert "Recourse obligation paid" in page
    assert _piece(w, "F", owed["id"])["status"] == "settled"


def test_without_recourse_the_form_is_not_offered_and_a_forged_post_is_refused(
    world: World,
) -> None:
    w = world
    bought = _defaulted(w, recourse=False)
    tabs = Tabs(w, "F")
    assert f'name="receivable_id" value="{bought}"' not in tabs.page("F", "/funder")
    rows = w.rows()
    message = refused(
        tabs.post("F", "/funder/actions/put_back", receivable_id=bought), 409, "without_recourse"
    )
    assert w.rows() == rows and message


def test_the_operator_declares_a_default_by_two_users_records_a_recovery_and_closes(
    world: World,
) -> None:
    w = world
    defaulted = w.confirm(100_000_00, supplier="S1")["receivable_id"]
    w.net.clock.set(datetime(2026, 5, 29, 10, tzinfo=UTC))
    w.net.svc.handle(w.users["A"], c.RecordPayment(defaulted, 10_000_00))
    w.users["OP2"] = w.net.svc.handle(
        w.users["OP"], c.AddUser(_op_org(w), "operator clerk", ("maker", "checker"))
    ).created["user_id"]
    tabs = Tabs(w, "OP", "OP2", "U", "A")
    # An auditor sees the same page but may not act: the domain refuses it.
    assert 'data-form="request-default"' not in tabs.page("U", "/auditor")
    rows = w.rows()
    refused(
        tabs.post(
            "U", "/auditor/actions/request_default", obligor_id=w.orgs["A"], reason="insolvency"
        ),
        403,
        "role_required",
    )
    refused(
        tabs.post(
            "OP2", "/auditor/actions/request_default", obligor_id=w.orgs["A"], reason="bankrupt"
        ),
        400,
        "invalid_default_reason",
    )
    assert w.rows() == rows
    page = tabs.done(
        "OP2",
        "/auditor/actions/request_default",
        obligor_id=w.orgs["A"],
        reason="insolvency",
        note="filed at the district court",
    )
    assert "Default requested" in page and "needs another operator user" in page
    [approval] = re.findall(r'data-approval="(apr_[A-Za-z0-9_]+)"', tabs.page("OP2", "/auditor"))
    # The maker cannot approve its own request (a forged post): one line, nothing changes.
    rows = w.rows()
    refused(
        tabs.post("OP2", "/auditor/actions/approve_default", approval_id=approval),
        403,
        "same_user_cannot_approve",
    )
    assert w.rows() == rows
    page = tabs.done("OP", "/auditor/actions/approve_default", approval_id=approval)
    assert "declared in default" in page
    [claim] = set(re.findall(r'data-claim="(dfl_[A-Za-z0-9_]+)"', tabs.page("OP", "/auditor")))
    asked = tabs.post(
        "OP",
        "/auditor/actions/record_recovery",
        claim_id=claim,
        amount="30,000.00",
        currency="EUR",
        source="the administrator",
    )
    assert "Record 30,000.00 EUR recovered from the administrator" in _text(asked.text)
    rows = w.rows()
    refused(
        tabs.post(
            "U",
            "/auditor/actions/record_recovery",
            claim_id=claim,
            amount="1.00",
            currency="EUR",
            source="forged",
            confirmed="yes",
        ),
        403,
        "role_required",
    )
    refused(
        tabs.post(
            "OP",
            "/auditor/actions/record_recovery",
            claim_id=claim,
            amount="1.00",
            currency="XYZ",
            source="typo",
            confirmed="yes",
        ),
        400,
        "unknown_currency",
    )
    assert w.rows() == rows
    page = tabs.done(
        "OP",
        "/auditor/actions/record_recovery",
        claim_id=claim,
        amount="30,000.00",
        currency="EUR",
        source="the administrator",
    )
    assert "30,000.00 EUR from the administrator" in page
    # The anchor in default cannot touch the claim: its page has no such form.
    r = tabs.post("A", "/auditor/actions/close_claim", claim_id=claim)
    assert r.status_code == 403 and 'data-form="close-claim"' not in r.text
    page = tabs.done("OP", "/auditor/actions/close_claim", claim_id=claim)
    assert "Claim closed" in page and "loss 60,000.00 EUR" in page
    assert 'data-form="record-recovery"' not in tabs.page("OP", "/auditor")
