"""The three-way match gate: imported invoices are confirmed only when matched, or with a
checker's override; both are signed domain events the auditor re-derives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openscf.app.audit import audit, db_source
from openscf.documents.ubl_build import TradeLine
from openscf.domain.errors import Conflict, PermissionDenied
from openscf.store.queries import iter_events

LINES = (
    TradeLine("1", "SKU-BOLT", "Bolts M8", Decimal("1000"), Decimal("0.45"), order_line_id="1"),
    TradeLine("2", "SKU-NUT", "Nuts M8", Decimal("500"), Decimal("0.12"), order_line_id="2"),
)


def _import_all(net, order, despatch, invoice):  # type: ignore[no-untyped-def]
    desk = net.desk
    assert desk.import_orders(net.anchor_user, [("po.xml", order)]).committed
    assert desk.import_deliveries(net.anchor_user, [("da.xml", despatch)]).committed
    report = desk.import_invoices(net.anchor_user, [("inv.xml", invoice)])
    assert report.ok, report.to_dict()
    return report.items[0]


def test_a_matched_invoice_is_confirmed_and_the_log_links_the_document(tnet, make_docs):
    item = _import_all(tnet, *make_docs(tnet))
    assert item.match_status == "matched" and item.flags == []
    out = tnet.desk.confirm(tnet.anchor_user, item.document_id)
    assert out["status"] == "confirmed"
    events = [r.event for r in iter_events_of(tnet)]
    link = next(e for e in events if e.TYPE == "TradeDocumentLinked")
    issued = next(e for e in events if e.TYPE == "ReceivableIssued")
    assert link.document_id == item.document_id and link.match_status == "matched"
    assert issued.receivable_id == out["receivable_id"] == link.receivable_id
    assert issued.face_minor == tnet.desk.document(item.document_id)["amount_minor"]
    assert audit(db_source(tnet.svc.engine)).ok


def iter_events_of(net):  # type: ignore[no-untyped-def]
    with net.svc.engine.connect() as conn:
        return list(iter_events(conn))


def test_an_invoice_billing_more_than_was_delivered_is_refused_until_a_checker_overrides(
    tnet, make_docs
):
    order, despatch, invoice = make_docs(tnet, delivered=(Decimal("600"), Decimal("500")))
    item = _import_all(tnet, order, despatch, invoice)
    assert item.match_status == "mismatch"
    assert any("quantity_exceeds_received" in i for i in item.match_issues)
    with pytest.raises(Conflict) as refused:
        tnet.desk.confirm(tnet.anchor_user, item.document_id)
    assert refused.value.code == "three_way_match_failed"
    assert tnet.desk.document(item.document_id)["status"] == "imported"

    override = tnet.desk.request_override(tnet.anchor_user, item.document_id, "partial delivery")
    assert "match:mismatch" in override["reasons"]
    # The maker cannot approve its own override; confirming before approval is refused.
    with pytest.raises(PermissionDenied):
        tnet.desk.approve_override(tnet.anchor_user, override["approval_id"])
    with pytest.raises(Conflict) as early:
        tnet.desk.confirm(tnet.anchor_user, item.document_id)
    assert early.value.code == "three_way_match_failed"

    tnet.desk.approve_override(tnet.anchor_checker, override["approval_id"])
    out = tnet.desk.confirm(tnet.anchor_user, item.document_id)
    assert out["status"] == "confirmed" and out["override_id"] == override["approval_id"]
    types = [r.event.TYPE for r in iter_events_of(tnet)]
    assert (
        types[-4:]
        == [
            "MatchOverrideRequested",
            "MatchOverrideApproved",
            "TradeDocumentLinked",
            "ReceivableIssued",
        ][-4:]
    )
    assert audit(db_source(tnet.svc.engine)).ok


def test_a_price_above_the_order_passes_only_within_the_programs_tolerance(tnet, make_docs):
    dearer = tuple(
        TradeLine(
            x.line_id,
            x.item_id,
            x.description,
            x.quantity,
            x.unit_price * Decimal("1.01"),
            order_line_id=x.order_line_id,
        )
        for x in LINES
    )
    item = _import_all(tnet, *make_docs(tnet, lines=dearer))
    assert item.match_status == "mismatch"
    tnet.desk.set_tolerance(tnet.anchor_admin, tnet.program_id, price_bps=150, quantity_bps=0)
    out = tnet.desk.confirm(tnet.anchor_user, item.document_id)
    assert out["match_status"] == "matched" and out["status"] == "confirmed"


def test_an_invoice_without_its_order_is_not_confirmable(tnet, make_docs):
    _order, _despatch, invoice = make_docs(tnet)
    report = tnet.desk.import_invoices(tnet.anchor_user, [("inv.xml", invoice)])
    assert report.items[0].match_status == "no_order"
    with pytest.raises(Conflict):
        tnet.desk.confirm(tnet.anchor_user, report.items[0].document_id)


def test_a_large_imported_invoice_also_waits_for_the_approval_threshold(
    engine, rules_dir, make_docs, make_net
):
    net = make_net(engine, threshold=100_00, data_dir=rules_dir)
    item = _import_all(net, *make_docs(net))
    out = net.desk.confirm(net.anchor_user, item.document_id)
    assert out["status"] == "pending_approval" and out["approval_id"]
    from openscf.domain import commands as c

    net.svc.handle(net.anchor_checker, c.ApproveConfirmation(out["approval_id"]))
    assert net.desk.document(item.document_id)["status"] == "confirmed"
    assert audit(db_source(net.svc.engine)).ok


def test_an_import_without_the_official_rules_refuses_what_they_refuse(
    engine, rules_dir, make_net, make_docs, tmp_path
):
    import shutil
    from pathlib import Path

    import facturx

    from openscf.app.trade import TradeDesk
    from openscf.documents.rules import UBL_SCHEMATRON, install_rules
    from openscf.documents.ubl_build import LEI_SCHEME

    pytest.importorskip("saxonche", reason="saxonche is not installed, so no XSLT processor")
    data_dir = tmp_path / "rules"
    shutil.copytree(rules_dir, data_dir)
    install_rules(Path(facturx.__file__).parent, data_dir, bundles=[UBL_SCHEMATRON.name])
    net = make_net(engine, data_dir=data_dir)
    order, despatch, invoice = make_docs(net)
    # An electronic address scheme outside the EAS code list: XSD-valid, refused by CEN's
    # code-list rule BR-CL-25, which the native rules check too (they carry every rule).
    odd = invoice.replace(f'schemeID="{LEI_SCHEME}"'.encode(), b'schemeID="9999"', 1)
    assert odd != invoice
    assert net.desk.import_orders(net.anchor_user, [("po.xml", order)]).committed
    assert net.desk.import_deliveries(net.anchor_user, [("da.xml", despatch)]).committed

    refused = net.desk.import_invoices(net.anchor_user, [("odd.xml", odd)])
    assert not refused.ok and "BR-CL-25" in refused.items[0].errors[0]["message"]

    native_only = TradeDesk(net.svc, data_dir=data_dir, official_rules=False)
    also_refused = native_only.import_invoices(net.anchor_user, [("odd.xml", odd)])
    assert not also_refused.ok and "BR-CL-25" in also_refused.items[0].errors[0]["message"]
    assert net.desk.import_invoices(net.anchor_user, [("inv.xml", invoice)]).committed
