"""An organisation acts only on objects it stands in the right relation to.
Anchor B may not mark anchor A's piece overdue or defaulted; the refusal is a 404 (B may
not even see the piece) and nothing is committed, and the auditor agrees. Client ids
reveal nothing of other organisations' objects; losing financing offers are declined."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openscf.app.audit import audit, db_source
from openscf.domain import commands as c
from openscf.domain.ids import namespace_of

from ..tagging import tag
from .conftest import World, assert_error


def _piece_row(w: World, rid: str) -> tuple[int, dict[str, object]]:
    return w.log_size(), w.get("A", f"/v1/receivables/{rid}").json()


def test_another_anchor_cannot_mark_a_piece_overdue_or_defaulted(world: World) -> None:
    w = world
    rid = w.confirm(10_000_00)["receivable_id"]  # A owes this piece to S0, due 2026-05-29
    w.net.clock.set(datetime(2026, 7, 15, 10, tzinfo=UTC))  # past due and the grace period
    before = _piece_row(w, rid)
    rows = w.rows()
    for action in ("mark_overdue", "mark_defaulted"):
        r = w.post("B", f"/v1/receivables/{rid}/{action}")
        assert_error(r, 404, "unknown_receivable")
        assert _piece_row(w, rid) == before, f"B's refused {action} changed the piece or log"
    assert w.rows() == rows
    assert audit(db_source(w.engine)).ok


def test_the_obligor_and_the_operator_may_mark_overdue_and_defaulted(world: World) -> None:
    w = world
    by_anchor, by_operator = (w.confirm(10_000_00)["receivable_id"] for _ in range(2))
    w.net.clock.set(datetime(2026, 7, 15, 10, tzinfo=UTC))
    for who, rid in (("A", by_anchor), ("OP", by_operator)):
        r = w.post(who, f"/v1/receivables/{rid}/mark_overdue")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "overdue"
        r = w.post(who, f"/v1/receivables/{rid}/mark_defaulted")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "defaulted"
    assert audit(db_source(w.engine)).ok


def _second_funder(w: World) -> str:
    """Funder H joins program P beside F, with an API key of its own."""
    svc, op = w.net.svc, w.net.operator
    org = svc.handle(op, c.RegisterOrganisation("Third Bank AG", ("funder",), "DE")).created[
        "org_id"
    ]
    user = svc.handle(op, c.AddUser(org, "H", ("admin", "maker"))).created["user_id"]
    svc.handle(w.users["A"], c.AddFunder(w.programs["P"], org))
    secret = w.auth.issue_api_key(user, "test H").secret
    assert secret is not None
    w.keys["H"] = secret
    return org


def test_the_losing_offers_are_declined_when_one_is_accepted(world: World) -> None:
    w = world
    _second_funder(w)
    rid = w.confirm(10_000_00)["receivable_id"]
    request = w.post("S0", "/v1/financing_requests", {"receivable_id": rid}).json()["id"]
    offers = {}
    for who, rate in (("F", "0.05"), ("H", "0.06")):
        r = w.post(
            who,
            f"/v1/financing_requests/{request}/offers",
            {"annual_rate": rate, "value_date": "2026-03-02"},
        )
        assert r.status_code == 201, r.text
        offers[who] = r.json()["id"]
    r = w.post("S0", f"/v1/financing_offers/{offers['F']}/accept")
    assert r.status_code == 200, r.text
    assert len(r.headers["OpenSCF-Events"].split(",")) == 3  # accepted, transferred, declined
    statuses = {
        o["id"]: o["status"]
        for o in w.get("S0", f"/v1/financing_requests/{request}/offers").json()["data"]
    }
    assert statuses == {offers["F"]: "accepted", offers["H"]: "declined"}
    # The losing funder sees its own offer declined.
    assert w.get("H", f"/v1/financing_offers/{offers['H']}").json()["status"] == "declined"
    assert audit(db_source(w.engine)).ok


def test_probing_another_organisations_id_answers_as_for_an_unused_one(world: World) -> None:
    """B guesses an ERP-style id A used. Client-chosen ids live in their organisation's
    namespace, so B's create is refused from the id alone, before any lookup: the answer
    for A's used id is the answer for an id nobody uses, and B learns nothing."""
    w = world
    used, unused = tag(w.orgs["A"], "rcv_erp-4711"), tag(w.orgs["A"], "rcv_erp-4712")
    w.confirm(10_000_00, receivable_id=used)  # A's piece, in A's namespace
    rows = w.rows()

    def probe(receivable_id: str) -> dict[str, Any]:
        body = {
            "program_id": w.programs["Q"],
            "supplier_id": w.orgs["T"],
            "invoice_number": "PROBE-1",
            "amount_minor": 10_000_00,
            "currency": "EUR",
            "due_on": "2026-05-29",
            "receivable_id": receivable_id,
        }
        return assert_error(w.post("B", "/v1/confirmations", body), 400, "invalid_id")

    on_used, on_unused = probe(used), probe(unused)
    assert on_used == {**on_unused, "message": on_unused["message"].replace(unused, used)}
    assert f"rcv_{namespace_of(w.orgs['B'])}." in on_used["message"]  # says what to do
    assert w.orgs["A"] not in on_used["message"].replace(used, "")
    # The untagged guess, as before the namespaces, gets the same refusal.
    assert probe("rcv_erp-4711")["code"] == "invalid_id"
    assert w.rows() == rows
    # In its own namespace B may use the same key A did; `id_in_use` speaks of B's own ids.
    own = tag(w.orgs["B"], "rcv_erp-4711")
    assert (
        w.confirm(10_000_00, supplier="T", who="B", program="Q", receivable_id=own)["receivable_id"]
        == own
    )
    assert_error(
        w.post(
            "B",
            "/v1/confirmations",
            {
                "program_id": w.programs["Q"],
                "supplier_id": w.orgs["T"],
                "invoice_number": "OWN-2",
                "amount_minor": 10_000_00,
                "currency": "EUR",
                "due_on": "2026-05-29",
                "receivable_id": own,
                "invoice_id": tag(w.orgs["B"], "inv_2"),
            },
        ),
        409,
        "id_in_use",
    )
