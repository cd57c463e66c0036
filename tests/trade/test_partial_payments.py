"""Partial payments leave as pain.001 instructions, one per part, and a camt.053 that
books partial amounts reconciles each of them; the audit passes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from openscf.app.audit import audit, db_source
from openscf.app.trade import payment_is_final
from openscf.domain import commands as c
from openscf.store.queries import iter_events

from .test_payments import MATURITY, _bank, _financed


def test_partial_payments_are_instructed_and_reconciled_one_by_one(tnet, make_docs, tmp_path):
    rid, _offer, piece = _financed(tnet, make_docs)
    tnet.desk.export_payments(MATURITY.replace(month=3, day=2), tmp_path / "d")
    tnet.clock.set(datetime(2026, 5, 29, 10, 0, tzinfo=UTC))
    with tnet.svc.engine.connect() as conn:
        face = next(
            r.event.face_minor
            for r in iter_events(conn)
            if r.event.TYPE == "ReceivableTransferred" and r.event.new_receivable_id == piece
        )
    tnet.svc.handle(tnet.anchor_user, c.RecordPayment(piece, 1_00))
    tnet.svc.handle(tnet.anchor_user, c.RecordPayment(piece, 2_00))
    out = tnet.desk.export_payments(MATURITY, tmp_path / "p")
    assert sorted((i["kind"], i["amount_minor"]) for i in out.instructions) == [
        ("payment", 1_00),
        ("payment", 2_00),
    ]
    assert all((i["from"], i["to"]) == (tnet.anchor, tnet.funder) for i in out.instructions)
    # The rest settles the piece: the settlement pays only what was still owed.
    tnet.svc.handle(tnet.anchor_user, c.SettleReceivable(piece))
    rest = tnet.desk.export_payments(MATURITY, tmp_path / "s")
    assert [(i["kind"], i["amount_minor"]) for i in rest.instructions] == [
        ("settlement", face - 3_00)
    ]
    assert rest.skipped and {s["reason"] for s in rest.skipped} == {"already_instructed"}
    reconciled = []
    for name, data in _bank(out.files + rest.files, MATURITY):
        report = tnet.desk.import_statement(name, data)
        assert report.unmatched_entries == [] and report.discrepancies == []
        reconciled += report.reconciled
    assert sorted((r["kind"], r["amount_minor"]) for r in reconciled) == [
        ("payment", 1_00),
        ("payment", 2_00),
        ("settlement", face - 3_00),
    ]
    assert payment_is_final(tnet.svc.engine, piece)
    with tnet.svc.engine.connect() as conn:
        kinds = sorted(
            r.event.kind
            for r in iter_events(conn)
            if r.event.TYPE == "PaymentReconciled" and r.event.receivable_id == piece
        )
    assert kinds == ["payment", "payment", "settlement"]
    assert rid != piece and Path(out.files[0]["path"]).is_file()
    assert audit(db_source(tnet.svc.engine)).ok
