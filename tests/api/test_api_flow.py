"""The whole flow through the REST API, on SQLite and PostgreSQL: confirm, split, transfer,
request financing, offer, accept, settle at maturity; maker-checker, early payment,
idempotency, pagination and the conventions every object follows."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from openscf.domain.replay import replay
from openscf.store.queries import iter_events

from ..tagging import tag
from .conftest import World, assert_error

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _events(response: Any) -> list[str]:
    header = response.headers.get("OpenSCF-Events", "")
    return [e for e in header.split(",") if e]


def test_the_main_flow_runs_end_to_end_and_the_log_replays_to_the_same_state(world: World) -> None:
    w = world
    start = w.log_size()
    logged: list[str] = []

    r = w.post(
        "A",
        "/v1/confirmations",
        {
            "program_id": w.programs["P"],
            "supplier_id": w.orgs["S0"],
            "invoice_number": "NW-1",
            "amount_minor": 100_000_00,
            "currency": "EUR",
            "due_on": "2026-05-29",
        },
    )
    assert r.status_code == 201, r.text
    confirmation = r.json()
    assert confirmation["object"] == "confirmation"
    assert confirmation["status"] == "confirmed"
    assert confirmation["id"].startswith("inv_")
    logged += _events(r)
    root = confirmation["receivable_id"]

    r = w.post("S0", f"/v1/receivables/{root}/split", {"amounts_minor": [70_000_00, 30_000_00]})
    assert r.status_code == 200, r.text
    pieces = r.json()["pieces"]
    assert [p["face_minor"] for p in pieces] == [70_000_00, 30_000_00]
    assert all(p["parent_id"] == root and p["holder_id"] == w.orgs["S0"] for p in pieces)
    logged += _events(r)

    r = w.post(
        "S0",
        f"/v1/receivables/{pieces[0]['id']}/transfer",
        {"to_org_id": w.orgs["S1"], "amount_minor": 20_000_00},
    )
    assert r.status_code == 200, r.text
    transfer = r.json()
    assert transfer["object"] == "transfer" and transfer["amount_minor"] == 20_000_00
    assert transfer["currency"] == "EUR" and transfer["remainder_id"]
    logged += _events(r)
    tier2 = transfer["id"]
    assert w.get("S1", f"/v1/receivables/{tier2}").json()["holder_id"] == w.orgs["S1"]

    r = w.post("S1", "/v1/financing_requests", {"receivable_id": tier2})
    assert r.status_code == 201, r.text
    request = r.json()
    assert request["status"] == "open" and request["program_id"] == w.programs["P"]
    logged += _events(r)

    assert request["id"] in [x["id"] for x in w.get("F", "/v1/financing_requests").json()["data"]]
    r = w.post(
        "F",
        f"/v1/financing_requests/{request['id']}/offers",
        {"annual_rate": "0.0415", "value_date": "2026-03-02", "fees_minor": 500},
    )
    assert r.status_code == 201, r.text
    offer = r.json()
    assert offer["proceeds_minor"] == 20_000_00 - offer["discount_minor"] - 500
    assert offer["currency"] == "EUR"
    logged += _events(r)

    r = w.post("S1", f"/v1/financing_offers/{offer['id']}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    logged += _events(r)
    portfolio = w.get("F", "/v1/receivables", params={"status": "live"}).json()["data"]
    assert [p["face_minor"] for p in portfolio] == [20_000_00]

    # Maturity: the anchor pays every live piece to its holder.
    w.net.clock.set(datetime(2026, 5, 29, 10, tzinfo=UTC))
    live = w.get("A", "/v1/receivables", params={"status": "live", "limit": 100}).json()["data"]
    assert {p["holder_id"] for p in live} == {w.orgs["S0"], w.orgs["F"]}
    assert sum(p["face_minor"] for p in live) == 100_000_00
    for piece in live:
        r = w.post("A", f"/v1/receivables/{piece['id']}/settle")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "settled"
        logged += _events(r)

    # Every event a response named is in the log, once; nothing else was logged.
    assert len(logged) == len(set(logged)) == w.log_size() - start
    with w.engine.connect() as conn:
        check = replay(iter_events(conn))
    assert check.ok, check.violations

    chain = w.get("S1", f"/v1/receivables/{tier2}/chain_of_custody").json()["data"]
    types = [e["type"] for e in chain]
    assert types[0] == "ReceivableIssued" and "ReceivableTransferred" in types
    assert [e["seq"] for e in chain] == sorted(e["seq"] for e in chain)


def test_a_large_confirmation_waits_for_a_second_user_of_the_anchor(world: World) -> None:
    w = world
    r = w.post(
        "A",
        "/v1/programs",
        {
            "name": "guarded",
            "currency": "EUR",
            "max_tenor_days": 120,
            "program_limit_minor": 10**10,
            "supplier_limit_minor": 10**9,
            "funder_limit_minor": 10**9,
            "approval_threshold_minor": 1_000_00,
        },
    )
    assert r.status_code == 201, r.text
    program = r.json()
    assert program["object"] == "program" and program["anchor_id"] == w.orgs["A"]
    r = w.post("A", f"/v1/programs/{program['id']}/suppliers", {"supplier_id": w.orgs["S0"]})
    assert r.status_code == 201, r.text
    assert r.json()["supplier_id"] == w.orgs["S0"]

    r = w.post(
        "A",
        "/v1/confirmations",
        {
            "program_id": program["id"],
            "supplier_id": w.orgs["S0"],
            "invoice_number": "BIG-1",
            "amount_minor": 5_000_00,
            "currency": "EUR",
            "due_on": "2026-05-29",
        },
    )
    assert r.status_code == 201, r.text
    pending = r.json()
    assert pending["status"] == "pending_approval" and pending["approval_id"]
    assert_error(w.get("S0", f"/v1/receivables/{pending['receivable_id']}"), 404)

    approvals = w.get("A_checker", "/v1/approvals", params={"status": "pending"}).json()
    assert [a["id"] for a in approvals["data"]] == [pending["approval_id"]]
    assert_error(
        w.post("A", f"/v1/approvals/{pending['approval_id']}/approve"), 403, "permission_required"
    )
    r = w.post("A_checker", f"/v1/approvals/{pending['approval_id']}/approve")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    piece = w.get("S0", f"/v1/receivables/{pending['receivable_id']}").json()
    assert piece["face_minor"] == 5_000_00 and piece["status"] == "live"


def test_early_payment_is_offered_by_the_anchor_and_taken_by_the_holder(world: World) -> None:
    w = world
    rid = w.confirm(50_000_00, supplier="S2")["receivable_id"]
    r = w.post(
        "A",
        "/v1/early_payment_offers",
        {"receivable_id": rid, "annual_rate": "0.035", "value_date": "2026-03-02"},
    )
    assert r.status_code == 201, r.text
    offer = r.json()
    assert offer["holder_id"] == w.orgs["S2"] and offer["amount_minor"] < 50_000_00
    assert [o["id"] for o in w.get("S2", "/v1/early_payment_offers").json()["data"]] == [
        offer["id"]
    ]
    r = w.post("S2", f"/v1/early_payment_offers/{offer['id']}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert w.get("S2", f"/v1/receivables/{rid}").json()["status"] == "paid_early"


def test_a_retry_with_the_same_idempotency_key_returns_the_first_response(world: World) -> None:
    w = world
    body = {
        "program_id": w.programs["P"],
        "supplier_id": w.orgs["S0"],
        "invoice_number": "IDEM-1",
        "amount_minor": 1_000_00,
        "currency": "EUR",
        "due_on": "2026-05-29",
    }
    first = w.post("A", "/v1/confirmations", body, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == 201
    size = w.log_size()
    again = w.post("A", "/v1/confirmations", body, headers={"Idempotency-Key": "retry-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["OpenSCF-Events"] == first.headers["OpenSCF-Events"]
    assert w.log_size() == size

    rows = w.rows()
    other = w.post(
        "A",
        "/v1/confirmations",
        {**body, "amount_minor": 2_000_00},
        headers={"Idempotency-Key": "retry-1"},
    )
    assert_error(other, 409, "idempotency_key_reused")
    assert w.rows() == rows


def test_a_transfer_answers_from_its_outcome_and_a_retry_answers_the_same(world: World) -> None:
    """A whole transfer moves the face and leaves no remainder; a partial one moves the
    amount asked and names the remainder; a retry with the same key gets the same body."""
    w = world
    r = w.post(
        "A",
        "/v1/confirmations",
        {
            "program_id": w.programs["P"],
            "supplier_id": w.orgs["S0"],
            "invoice_number": "XFER-1",
            "amount_minor": 50_000_00,
            "currency": "EUR",
            "due_on": "2026-05-29",
        },
    )
    assert r.status_code == 201, r.text
    root = r.json()["receivable_id"]
    r = w.post("S0", f"/v1/receivables/{root}/split", {"amounts_minor": [30_000_00, 20_000_00]})
    assert r.status_code == 200, r.text
    whole, part = r.json()["pieces"]
    for piece, body, key in (
        (whole, {"to_org_id": w.orgs["S1"]}, "xfer-whole"),
        (part, {"to_org_id": w.orgs["S1"], "amount_minor": 5_000_00}, "xfer-part"),
    ):
        first = w.post(
            "S0", f"/v1/receivables/{piece['id']}/transfer", body, headers={"Idempotency-Key": key}
        )
        assert first.status_code == 200, first.text
        again = w.post(
            "S0", f"/v1/receivables/{piece['id']}/transfer", body, headers={"Idempotency-Key": key}
        )
        assert again.status_code == 200 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        moved = first.json()
        assert moved["receivable_id"] == piece["id"] and moved["currency"] == "EUR"
        if "amount_minor" in body:
            assert moved["amount_minor"] == 5_000_00 and moved["remainder_id"]
            remainder = w.get("S0", f"/v1/receivables/{moved['remainder_id']}").json()
            assert remainder["face_minor"] == 15_000_00
        else:
            assert moved["amount_minor"] == 30_000_00 and moved["remainder_id"] is None


def test_a_client_supplied_id_makes_a_create_idempotent(world: World) -> None:
    w = world
    erp_id = tag(w.orgs["S0"], "fin_erp-4711")
    body = {"receivable_id": w.confirm(10_000_00)["receivable_id"], "id": erp_id}
    first = w.post("S0", "/v1/financing_requests", body)
    assert first.status_code == 201 and first.json()["id"] == erp_id
    again = w.post("S0", "/v1/financing_requests", body)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_lists_page_with_limit_and_starting_after(world: World) -> None:
    w = world
    ids = sorted(w.confirm(1_000_00 + i)["receivable_id"] for i in range(5))
    first = w.get("S0", "/v1/receivables", params={"limit": 2}).json()
    assert first["object"] == "list" and first["has_more"] is True
    assert [p["id"] for p in first["data"]] == ids[:2]
    rest = w.get("S0", "/v1/receivables", params={"limit": 10, "starting_after": ids[1]}).json()
    assert [p["id"] for p in rest["data"]] == ids[2:] and rest["has_more"] is False
    events = w.get("S0", "/v1/events", params={"limit": 3}).json()
    more = w.get(
        "S0", "/v1/events", params={"limit": 3, "starting_after": events["data"][-1]["id"]}
    ).json()
    assert events["data"][-1]["seq"] < more["data"][0]["seq"]


def test_every_object_has_its_type_a_prefixed_id_and_rfc3339_instants(world: World) -> None:
    w = world
    rid = w.confirm(12_345_67)["receivable_id"]
    piece = w.get("S0", f"/v1/receivables/{rid}").json()
    assert piece["object"] == "receivable" and piece["id"].startswith("rcv_")
    assert RFC3339.match(piece["issued_at"])
    assert isinstance(piece["face_minor"], int) and piece["currency"] == "EUR"
    for path, kind in [
        ("/v1/organisations", "organisation"),
        ("/v1/users", "user"),
        ("/v1/programs", "program"),
        ("/v1/invoices", "invoice"),
        ("/v1/events", "event"),
        ("/v1/api_keys", "api_key"),
    ]:
        listing = w.get("A", path).json()
        assert listing["object"] == "list", path
        assert listing["data"] and all(o["object"] == kind for o in listing["data"]), path
        assert all(isinstance(o["id"], str) and "_" in o["id"] for o in listing["data"])
    event = w.get("A", "/v1/events").json()["data"][0]
    assert RFC3339.match(event["occurred_at"])
