"""When trade goes wrong, over HTTP: a funder puts a defaulted piece back to its seller in
a program with recourse (and is refused without), the seller pays its recourse
obligation; the anchor records credit notes and disputes, the supplier sees the credits
held against it, and the next confirmation is issued net. Other organisations see none of
it and can do none of it; every POST takes an Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openscf.app.audit import audit, db_source
from openscf.domain import commands as c

from .conftest import DUE, World, assert_error


def _recourse_program(w: World, recourse: bool = True) -> str:
    r = w.post(
        "A",
        "/v1/programs",
        {
            "name": "with recourse" if recourse else "without",
            "currency": "EUR",
            "max_tenor_days": 180,
            "program_limit_minor": 10**10,
            "supplier_limit_minor": 10**9,
            "funder_limit_minor": 10**9,
            "approval_threshold_minor": 10**12,
            "recourse": recourse,
            "recourse_days": 20,
        },
    )
    assert r.status_code == 201, r.text
    program = r.json()
    assert (program["recourse"], program["recourse_days"]) == (
        (True, 20) if recourse else (False, 0)
    )
    w.post("A", f"/v1/programs/{program['id']}/funders", {"funder_id": w.orgs["F"]})
    r = w.post("A", f"/v1/programs/{program['id']}/suppliers", {"supplier_id": w.orgs["S0"]})
    assert r.status_code == 201, r.text
    return str(program["id"])


def _defaulted(w: World, recourse: bool = True) -> str:
    """S0 sold a piece to F; it defaulted. Returns the piece F holds."""
    program = _recourse_program(w, recourse)
    w.programs["R"] = program
    rid = w.confirm(10_000_00, program="R")["receivable_id"]
    request = w.post("S0", "/v1/financing_requests", {"receivable_id": rid}).json()
    offer = w.post(
        "F",
        f"/v1/financing_requests/{request['id']}/offers",
        {"annual_rate": "0.05", "value_date": "2026-03-02"},
    ).json()
    r = w.post("S0", f"/v1/financing_offers/{offer['id']}/accept")
    assert r.status_code == 200, r.text
    [bought] = [
        p
        for p in w.get("F", "/v1/receivables", params={"status": "live"}).json()["data"]
        if p["program_id"] == program
    ]
    w.net.clock.set(datetime(2026, 6, 2, 10, tzinfo=UTC))
    assert w.post("A", f"/v1/receivables/{bought['id']}/mark_overdue").status_code == 200
    w.net.clock.set(datetime(2026, 7, 15, 10, tzinfo=UTC))
    assert w.post("A", f"/v1/receivables/{bought['id']}/mark_defaulted").status_code == 200
    return str(bought["id"])


def test_the_funder_puts_back_and_the_seller_pays(world: World) -> None:
    w = world
    bought = _defaulted(w)
    r = w.post(
        "F", f"/v1/receivables/{bought}/put_back", {}, headers={"Idempotency-Key": "put-back-1"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "put_back" and body["id"] == bought
    owed = body["recourse_obligation"]
    returned = w.get("S0", f"/v1/receivables/{body['returned_receivable_id']}").json()
    assert (returned["holder_id"], returned["status"]) == (w.orgs["S0"], "defaulted")
    assert_error(w.get("F", f"/v1/receivables/{returned['id']}"), 404, "unknown_receivable")
    assert (owed["obligor_id"], owed["holder_id"], owed["status"], owed["face_minor"]) == (
        w.orgs["S0"],
        w.orgs["F"],
        "recourse_due",
        10_000_00,
    )
    assert owed["due_on"] == "2026-08-04"
    # A retry with the same key answers the same, and puts nothing back twice.
    again = w.post(
        "F", f"/v1/receivables/{bought}/put_back", {}, headers={"Idempotency-Key": "put-back-1"}
    )
    assert again.json() == body and again.headers.get("Idempotent-Replayed") == "true"
    # The funder sees its put-backs, the seller its recourse obligations.
    assert [
        p["id"] for p in w.get("F", "/v1/receivables", params={"status": "put_back"}).json()["data"]
    ] == [bought]
    mine = w.get("S0", "/v1/receivables", params={"status": "recourse_due"}).json()["data"]
    assert [p["id"] for p in mine] == [owed["id"]]
    # The chain of custody of the obligation shows the put-back and where the piece came from.
    chain = [
        e["type"]
        for e in w.get("F", f"/v1/receivables/{owed['id']}/chain_of_custody").json()["data"]
    ]
    assert chain[0] == "ReceivableIssued" and chain[-1] == "ReceivablePutBack"
    r = w.post("S0", f"/v1/receivables/{owed['id']}/settle")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "settled"
    assert audit(db_source(w.engine)).ok


def test_without_recourse_the_put_back_is_refused(world: World) -> None:
    w = world
    bought = _defaulted(w, recourse=False)
    before = w.rows()
    r = w.post("F", f"/v1/receivables/{bought}/put_back")
    error = assert_error(r, 409, "without_recourse")
    assert "keeps the loss" in error["message"]
    assert w.rows() == before


def test_another_organisation_can_issue_none_of_the_new_commands(world: World) -> None:
    w = world
    invoice = w.confirm(1_000_00)["id"]
    dispute = w.post(
        "A",
        "/v1/disputes",
        {
            "program_id": w.programs["P"],
            "supplier_id": w.orgs["S0"],
            "invoice_number": "INV-Z",
            "amount_minor": 10_00,
            "reason": "short delivery",
        },
    ).json()
    bought = _defaulted(w)
    before, size = w.rows(), w.log_size()
    assert_error(w.post("G", f"/v1/receivables/{bought}/put_back"), 404, "unknown_receivable")
    assert_error(
        w.post(
            "B",
            f"/v1/invoices/{invoice}/credit_notes",
            {"credit_note_number": "CN", "amount_minor": 1},
        ),
        404,
        "unknown_invoice",
    )
    assert_error(
        w.post(
            "B",
            "/v1/disputes",
            {
                "program_id": w.programs["P"],
                "supplier_id": w.orgs["S0"],
                "invoice_number": "INV-B",
                "amount_minor": 1,
                "reason": "mine",
            },
        ),
        403,
        "not_program_anchor",
    )
    assert_error(
        w.post("T", f"/v1/disputes/{dispute['id']}/resolve", {"outcome": "agreed"}),
        404,
        "unknown_dispute",
    )
    assert_error(w.get("T", f"/v1/disputes/{dispute['id']}"), 404, "unknown_dispute")
    assert w.get("B", "/v1/disputes").json()["data"] == []
    # Parties in the wrong role for the act are told so.
    assert_error(w.post("A", f"/v1/receivables/{bought}/put_back"), 403, "role_required")
    assert_error(
        w.post("A", f"/v1/disputes/{dispute['id']}/resolve", {"outcome": "agreed"}),
        403,
        "not_dispute_supplier",
    )
    assert (w.rows(), w.log_size()) == (before, size)


def test_credits_are_visible_to_both_and_netted_at_the_next_confirmation(world: World) -> None:
    w = world
    first = w.confirm(50_000_00)
    r = w.post(
        "A",
        f"/v1/invoices/{first['id']}/credit_notes",
        {"credit_note_number": "CN-1", "amount_minor": 5_000_00},
        headers={"Idempotency-Key": "cn-1"},
    )
    assert r.status_code == 201, r.text
    credit: dict[str, Any] = r.json()
    assert (credit["status"], credit["open_minor"], credit["source"]) == (
        "open",
        5_000_00,
        "credit_note",
    )
    again = w.post(
        "A",
        f"/v1/invoices/{first['id']}/credit_notes",
        {"credit_note_number": "CN-1", "amount_minor": 5_000_00},
        headers={"Idempotency-Key": "cn-1"},
    )
    assert again.status_code == 201 and again.json() == credit
    assert [k["id"] for k in w.get("S0", "/v1/credits").json()["data"]] == [credit["id"]]
    assert w.get("S1", "/v1/credits").json()["data"] == []
    assert w.get("A", f"/v1/receivables/{first['receivable_id']}").json()["face_minor"] == (
        50_000_00
    )
    second = w.confirm(20_000_00)
    piece = w.get("S0", f"/v1/receivables/{second['receivable_id']}").json()
    assert piece["face_minor"] == 15_000_00
    assert w.get("S0", f"/v1/invoices/{second['id']}").json()["amount_minor"] == 20_000_00
    assert w.get("A", f"/v1/credits/{credit['id']}").json()["status"] == "netted"
    assert_error(
        w.post(
            "A",
            f"/v1/invoices/{first['id']}/credit_notes",
            {"credit_note_number": "CN-2", "amount_minor": 45_000_01},
        ),
        409,
        "credit_exceeds_invoice",
    )


def test_a_dispute_holds_the_invoice_back_until_the_supplier_agrees(world: World) -> None:
    w = world
    r = w.post(
        "A",
        "/v1/disputes",
        {
            "program_id": w.programs["P"],
            "supplier_id": w.orgs["S0"],
            "invoice_number": "INV-H",
            "amount_minor": 300_00,
            "reason": "damaged goods",
        },
    )
    assert r.status_code == 201, r.text
    dispute = r.json()
    assert (dispute["status"], dispute["invoice_id"]) == ("open", None)
    assert [d["id"] for d in w.get("S0", "/v1/disputes").json()["data"]] == [dispute["id"]]
    body = {
        "program_id": w.programs["P"],
        "supplier_id": w.orgs["S0"],
        "invoice_number": "INV-H",
        "amount_minor": 1_000_00,
        "currency": "EUR",
        "due_on": DUE,
    }
    assert_error(w.post("A", "/v1/confirmations", body), 409, "invoice_disputed")
    assert_error(
        w.post(
            "S0",
            f"/v1/disputes/{dispute['id']}/resolve",
            {"outcome": "agreed", "amount_minor": 300_01},
        ),
        400,
        "agreed_exceeds_dispute",
    )
    r = w.post(
        "S0", f"/v1/disputes/{dispute['id']}/resolve", {"outcome": "agreed", "amount_minor": 200_00}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["agreed_minor"]) == ("agreed", 200_00)
    assert w.post("A", "/v1/confirmations", {**body, "amount_minor": 800_00}).status_code == 201


def test_an_agreed_dispute_on_a_confirmed_invoice_becomes_a_credit(world: World) -> None:
    w = world
    invoice = w.confirm(1_000_00, number="INV-K")
    dispute = w.post(
        "A",
        "/v1/disputes",
        {
            "program_id": w.programs["P"],
            "supplier_id": w.orgs["S0"],
            "invoice_number": "INV-K",
            "amount_minor": 100_00,
            "reason": "price",
        },
    ).json()
    assert dispute["invoice_id"] == invoice["id"]
    r = w.post("S0", f"/v1/disputes/{dispute['id']}/resolve", {"outcome": "agreed"})
    assert r.status_code == 200, r.text
    credit = w.get("A", f"/v1/credits/{r.json()['credit_id']}").json()
    assert (credit["source"], credit["reference"], credit["amount_minor"]) == (
        "dispute",
        dispute["id"],
        100_00,
    )
    w.net.svc.handle(
        w.users["A"], c.RaiseDispute(w.programs["P"], w.orgs["S0"], "INV-L", 1_00, "late")
    )
    [open_one] = w.get("A", "/v1/disputes", params={"status": "open"}).json()["data"]
    r = w.post("A", f"/v1/disputes/{open_one['id']}/resolve", {"outcome": "withdrawn"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
