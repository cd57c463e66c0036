"""The anchor's dashboard shows imported invoices with their validation and match results."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from openscf.api.app import create_app
from openscf.api.security import SESSION_COOKIE

from ..trade.conftest import build_trade_net, trade_documents


def test_the_anchor_sees_validation_and_match_results_of_imported_invoices(engine) -> None:
    net = build_trade_net(engine)
    order, despatch, invoice = trade_documents(net, delivered=(Decimal("600"), Decimal("500")))
    net.desk.import_orders(net.anchor_user, [("po.xml", order)])
    net.desk.import_deliveries(net.anchor_user, [("da.xml", despatch)])
    net.desk.import_invoices(net.anchor_user, [("inv.xml", invoice)])
    app = create_app(engine, net.clock, service=net.svc, auth_cache_seconds=0)
    session = app.state.openscf.auth.start_session(net.anchor_user)
    client = TestClient(app, base_url="https://testserver")
    client.cookies.set(SESSION_COOKIE, session.session_id)
    page = client.get("/anchor")
    assert page.status_code == 200, page.text[:500]
    html = page.text
    section = html[html.index('id="trade-documents"') :]
    assert "INV-100" in section
    assert "mismatch" in section and "quantity_exceeds_received" in section
    assert "status-valid" in section
    # An override requested by the maker: the row says it waits for a checker, and where.
    doc = net.desk.documents(kind="invoice")[0]["id"]
    approval = net.desk.request_override(net.anchor_user, doc, "short delivery")["approval_id"]
    html = client.get("/anchor").text
    section = html[html.index('id="trade-documents"') :]
    assert f'data-override="{approval}"' in section
    assert "override waiting for a checker" in section
    assert f"/v1/document_overrides/{approval}/approve" in section


def test_a_mistyped_dashboard_address_gets_a_page_and_the_api_keeps_its_json(engine) -> None:
    net = build_trade_net(engine)
    client = TestClient(create_app(engine, net.clock, service=net.svc))
    page = client.get("/supplierz", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and 'href="/"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    api = client.get("/v1/nothing-here", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "unknown_route"
    assert client.get("/supplierz").json()["error"]["code"] == "unknown_route"
