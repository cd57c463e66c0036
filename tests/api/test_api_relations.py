"""Issue 10, hole 1: an organisation acts only on objects it stands in the right relation
to. Anchor B may not mark anchor A's piece overdue or defaulted; the refusal is a 404
(B may not even see the piece) and nothing is committed, and the auditor agrees."""

from __future__ import annotations

from datetime import UTC, datetime

from openscf.app.audit import audit, db_source

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
