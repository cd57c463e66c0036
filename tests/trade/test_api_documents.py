"""Trade documents through the REST API: validate, import, match report, confirm."""

from __future__ import annotations

import base64
from decimal import Decimal

from fastapi.testclient import TestClient

from openscf.api.app import create_app


def _client(tnet):  # type: ignore[no-untyped-def]
    app = create_app(tnet.svc.engine, tnet.clock, service=tnet.svc, auth_cache_seconds=0)
    auth = app.state.openscf.auth
    keys = {
        who: auth.issue_api_key(user, who).secret
        for who, user in (
            ("A", tnet.anchor_user),
            ("S0", tnet.supplier_users[0]),
            ("OP", tnet.operator_user),
        )
    }
    client = TestClient(app, base_url="https://testserver")

    def post(who, path, body):  # type: ignore[no-untyped-def]
        return client.post(path, json=body, headers={"Authorization": f"Bearer {keys[who]}"})

    def get(who, path):  # type: ignore[no-untyped-def]
        return client.get(path, headers={"Authorization": f"Bearer {keys[who]}"})

    return post, get


def _file(name: str, data: bytes) -> dict[str, str]:
    return {"filename": name, "content_base64": base64.b64encode(data).decode()}


def test_an_anchor_imports_and_confirms_a_matched_invoice_over_the_api(tnet, make_docs):
    post, get = _client(tnet)
    order, despatch, invoice = make_docs(tnet)
    checked = post("A", "/v1/documents/validate", _file("inv.xml", invoice))
    assert checked.status_code == 200 and checked.json()["valid"] is True
    for kind, data in (("orders", order), ("despatches", despatch)):
        r = post("A", "/v1/documents", {"kind": kind, "files": [_file(f"{kind}.xml", data)]})
        assert r.status_code == 201, r.text
    r = post("A", "/v1/documents", {"kind": "invoices", "files": [_file("inv.xml", invoice)]})
    assert r.status_code == 201, r.text
    doc_id = r.json()["results"][0]["document_id"]
    shown = get("A", f"/v1/documents/{doc_id}").json()
    assert shown["match_status"] == "matched"
    confirmed = post("A", f"/v1/documents/{doc_id}/confirm", {})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["receivable_id"].startswith("rcv_")
    # The supplier does not see the anchor's document store.
    assert get("S0", f"/v1/documents/{doc_id}").status_code == 404


def test_a_mismatched_invoice_is_refused_over_the_api(tnet, make_docs):
    post, _ = _client(tnet)
    order, despatch, invoice = make_docs(tnet, delivered=(Decimal("600"), Decimal("500")))
    for kind, data in (("orders", order), ("despatches", despatch)):
        post("A", "/v1/documents", {"kind": kind, "files": [_file("f.xml", data)]})
    imported = post(
        "A", "/v1/documents", {"kind": "invoices", "files": [_file("inv.xml", invoice)]}
    ).json()
    target = imported["results"][0]["document_id"]
    assert imported["results"][0]["match_status"] == "mismatch"
    refused = post("A", f"/v1/documents/{target}/confirm", {})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "three_way_match_failed"
    again = post("A", "/v1/documents", {"kind": "invoices", "files": [_file("again.xml", invoice)]})
    # The same bytes again are recognised as the same document, and not imported twice:
    # the only file was refused, so the import is refused (422) with the per-file report.
    assert again.status_code == 422, again.text
    assert again.json()["report"]["results"][0]["errors"][0]["code"] == (
        "document_already_imported"
    )


def test_malformed_xml_gets_a_clear_error_naming_the_file(tnet):
    post, _ = _client(tnet)
    r = post("A", "/v1/documents/validate", _file("broken.xml", b"<Invoice><oops></Invoice>"))
    assert r.status_code == 400
    assert "broken.xml" in r.json()["error"]["message"]
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    r = post("A", "/v1/documents/validate", _file("bomb.xml", bomb))
    assert r.status_code == 400


def _documents(tnet) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from openscf.store import tables as t

    with tnet.svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.trade_documents)).scalar_one())


def test_an_import_in_which_every_file_is_refused_is_a_422_with_the_per_file_report(
    tnet, make_docs
):
    post, _ = _client(tnet)
    order, _, _ = make_docs(tnet)
    broken = [_file("a.xml", b"<Order><oops></Order>"), _file("b.xml", b"not xml at all")]
    for partial in (False, True):
        r = post("A", "/v1/documents", {"kind": "orders", "files": broken, "partial": partial})
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["error"]["code"] == "import_refused" and body["error"]["param"] == "files"
        report = body["report"]
        assert [x["source"] for x in report["results"]] == ["a.xml", "b.xml"]
        assert all(x["errors"] and not x["ok"] for x in report["results"])
        assert report["imported"] == 0
        assert _documents(tnet) == 0
    # One good file among bad ones: still 201, as before. Without `partial` nothing is
    # stored (committed false); with `partial` the good file is.
    mixed = [_file("order.xml", order), *broken]
    r = post("A", "/v1/documents", {"kind": "orders", "files": mixed})
    assert r.status_code == 201 and r.json()["committed"] is False and _documents(tnet) == 0
    r = post("A", "/v1/documents", {"kind": "orders", "files": mixed, "partial": True})
    assert r.status_code == 201 and r.json()["imported"] == 1 and _documents(tnet) == 1
