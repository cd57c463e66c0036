"""The duplicate-financing registry: one canonical fingerprint per invoice on the network,
near-duplicates held for review, and keyed fingerprints shared between platforms."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from openscf.app.trade import TradeDesk
from openscf.documents.fingerprint import edit_distance_at_most_one
from openscf.domain.errors import Conflict
from openscf.store import tables as t


def _csv(*rows: str) -> bytes:
    header = (
        "invoice_number,invoice_date,due_date,currency,amount,supplier_id,order_number,disputed"
    )
    return ("\n".join([header, *rows]) + "\n").encode()


def test_the_same_invoice_presented_again_through_another_channel_is_refused(tnet, make_docs):
    _order, _despatch, invoice = make_docs(tnet)
    first = tnet.desk.import_invoices(tnet.anchor_user, [("inv.xml", invoice)])
    amount = first.items[0]
    doc = tnet.desk.document(amount.document_id)
    # The anchor's ERP exports the same invoice (same number, amount, date) as a payable.
    euros = f"{doc['amount_minor'] // 100}.{doc['amount_minor'] % 100:02d}"
    row = f"inv-0100,2026-03-01,2026-05-29,EUR,{euros},{tnet.suppliers[0]},PO-100,false"
    report = tnet.desk.import_payables(tnet.anchor_user, "erp.csv", _csv(row))
    assert not report.committed
    [error] = report.items[0].errors
    assert error["code"] == "duplicate_invoice" and amount.document_id in error["message"]
    assert error["location"] == "erp.csv:2 (invoice_number)"


def test_the_database_holds_one_fingerprint_once(tnet, make_docs):
    _o, _d, invoice = make_docs(tnet)
    tnet.desk.import_invoices(tnet.anchor_user, [("inv.xml", invoice)])
    with tnet.svc.engine.connect() as conn:
        row = conn.execute(select(t.invoice_fingerprints)).one()._mapping
    with pytest.raises(IntegrityError), tnet.svc.engine.begin() as conn:
        conn.execute(insert(t.invoice_fingerprints).values({**row, "document_id": "doc_other"}))


def test_a_near_duplicate_is_flagged_and_needs_a_checker_before_confirmation(tnet, make_docs):
    order, despatch, invoice = make_docs(tnet, number="INV-100")
    _o2, _d2, similar = make_docs(tnet, number="INV-1001")
    assert edit_distance_at_most_one("INV100", "INV1001")
    tnet.desk.import_orders(tnet.anchor_user, [("po.xml", order)])
    tnet.desk.import_deliveries(tnet.anchor_user, [("da.xml", despatch)])
    report = tnet.desk.import_invoices(tnet.anchor_user, [("a.xml", invoice), ("b.xml", similar)])
    first, second = report.items
    assert first.flags == []
    [flag] = second.flags
    assert flag.startswith(f"near_duplicate:{first.document_id}:number_one_edit_away")
    assert second.match_status == "matched"  # the match alone would let it through
    with pytest.raises(Conflict) as held:
        tnet.desk.confirm(tnet.anchor_user, second.document_id)
    assert held.value.code == "review_required"
    override = tnet.desk.request_override(tnet.anchor_user, second.document_id, "checked")
    assert flag in override["reasons"]
    tnet.desk.approve_override(tnet.anchor_checker, override["approval_id"])
    # The first invoice billed the whole order, so the second now over-bills it: the
    # override approved for the flag lets it through as signed by the checker.
    out = tnet.desk.confirm(tnet.anchor_user, second.document_id)
    assert out["status"] == "confirmed" and out["override_id"] == override["approval_id"]


def test_keyed_fingerprints_find_double_financing_across_platforms_without_contents(
    engine, rules_dir, make_docs, make_net, tmp_path
):
    home = make_net(engine, data_dir=rules_dir)
    home.desk.import_invoices(
        home.anchor_user,
        [
            ("a.xml", make_docs(home)[2]),
            ("b.xml", make_docs(home, supplier=1, number="INV-200", order_id="PO-200")[2]),
        ],
    )
    secret = bytes(range(32))
    exported = home.desk.export_fingerprints(secret, "registry-1")
    assert "INV" not in exported and "Supplier" not in exported and "LEI" not in exported
    assert exported.count("\n") == 2

    # A second platform (another database) whose firms have the same LEIs, where the same
    # invoices are presented again.
    from openscf.store import make_engine, migrate, sqlite_url

    other_engine = make_engine(sqlite_url(tmp_path / "other.db"))
    migrate(other_engine)
    other = make_net(other_engine, data_dir=rules_dir)
    again = other.desk.import_invoices(other.anchor_user, [("a.xml", make_docs(other)[2])])
    result = other.desk.import_fingerprints("home.jsonl", exported.encode(), secret, "registry-1")
    doc_id = again.items[0].document_id
    assert result["collisions"] == [
        {"document_id": doc_id, "number": "INV-100", "status": "imported"}
    ]
    assert other.desk.document(doc_id)["flags"] == ["external_duplicate:registry-1"]
    with pytest.raises(Conflict):
        other.desk.confirm(other.anchor_user, doc_id)

    # Invoices imported later are checked against the stored set, given the key.
    keyed = TradeDesk(other.svc, data_dir=rules_dir, fingerprint_key=("registry-1", secret))
    later = keyed.import_invoices(
        other.anchor_user,
        [("b.xml", make_docs(other, supplier=1, number="INV-200", order_id="PO-200")[2])],
    )
    assert later.items[0].flags == ["external_duplicate:registry-1"]
    # Without the secret, the file says nothing: another key finds no collision.
    other_key = other.desk.import_fingerprints(
        "home.jsonl", exported.encode(), bytes(32), "registry-1"
    )
    assert other_key["collisions"] == []
    other_engine.dispose()


def test_a_fingerprint_file_with_a_bad_line_is_refused_whole(tnet):
    from openscf.domain.errors import InvalidRequest

    bad = b'{"version":1,"key_id":"k","fingerprint":"' + b"a" * 64 + b'"}\nnot json\n'
    with pytest.raises(InvalidRequest) as refused:
        tnet.desk.import_fingerprints("f.jsonl", bad, bytes(32))
    assert refused.value.code == "invalid_json" and "f.jsonl:2" in refused.value.message
    with tnet.svc.engine.connect() as conn:
        assert conn.execute(select(t.external_fingerprints)).all() == []
