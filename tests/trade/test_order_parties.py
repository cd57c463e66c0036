"""Whose order is it: both parties of an imported order are resolved against the network
by their identifiers read with their schemes, on OpenPeppol's own Order example (a
Norwegian hospital trust buying from a medical supplier)."""

from __future__ import annotations

from lxml import etree

from openscf.sim.network_builder import NetworkBuilder

from ..conftest import conformance_file

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def _peppol_order() -> etree._Element:
    data = conformance_file("einvoice/peppol-poacc3/Order_Example.xml").read_bytes()
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _readdress(root: etree._Element, role: str, scheme: str, value: str) -> None:
    """Point the buyer's or seller's EndpointID at another identifier."""
    endpoint = root.find(f"{{{CAC}}}{role}/{{{CAC}}}Party/{{{CBC}}}EndpointID")
    assert endpoint is not None
    endpoint.set("schemeID", scheme)
    endpoint.text = value


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_real_peppol_order_of_a_hospital_is_refused_naming_its_buyer(tnet):
    report = tnet.desk.import_orders(
        tnet.anchor_user, [("Order_Example.xml", _bytes(_peppol_order()))]
    )
    [item] = report.items
    assert not report.committed and item.errors[0]["code"] == "buyer_not_importer"
    message = item.errors[0]["message"]
    assert "Helseforetak AS" in message and "0192:987654325" in message
    assert "Anchor Industries AG" in message
    assert tnet.desk.documents(kind="order") == []


def test_an_order_addressed_to_another_organisation_on_the_network_is_refused(tnet):
    root = _peppol_order()
    _readdress(root, "BuyerCustomerParty", "0199", tnet.party(tnet.funder).lei or "")
    [item] = tnet.desk.import_orders(tnet.anchor_user, [("po.xml", _bytes(root))]).items
    assert item.errors[0]["code"] == "buyer_not_importer"
    assert f"Hansa Bank AG ({tnet.funder}) on the network" in item.errors[0]["message"]


def test_an_order_whose_seller_is_not_on_the_network_is_refused_naming_the_seller(tnet):
    root = _peppol_order()
    _readdress(root, "BuyerCustomerParty", "0199", tnet.party(tnet.anchor).lei or "")
    [item] = tnet.desk.import_orders(tnet.anchor_user, [("po.xml", _bytes(root))]).items
    assert item.errors[0]["code"] == "unknown_seller"
    assert "Medical AS" in item.errors[0]["message"]
    assert "0192:123456785" in item.errors[0]["message"]


def test_an_identifier_of_another_scheme_is_never_read_as_an_lei(tnet):
    """A GLN (0088) that happens to be spelled like a supplier's LEI does not name it."""
    root = _peppol_order()
    _readdress(root, "BuyerCustomerParty", "0199", tnet.party(tnet.anchor).lei or "")
    _readdress(root, "SellerSupplierParty", "0088", tnet.party(tnet.suppliers[0]).lei or "")
    [item] = tnet.desk.import_orders(tnet.anchor_user, [("po.xml", _bytes(root))]).items
    assert item.errors[0]["code"] == "unknown_seller"


def test_an_order_from_an_onboarded_supplier_is_recorded_with_both_parties(tnet):
    root = _peppol_order()
    _readdress(root, "BuyerCustomerParty", "0199", tnet.party(tnet.anchor).lei or "")
    _readdress(root, "SellerSupplierParty", "0199", tnet.party(tnet.suppliers[1]).lei or "")
    report = tnet.desk.import_orders(tnet.anchor_user, [("po.xml", _bytes(root))])
    assert report.committed, report.to_dict()
    [doc] = tnet.desk.documents(kind="order")
    assert (doc["seller_org_id"], doc["buyer_org_id"]) == (tnet.suppliers[1], tnet.anchor)
    assert doc["flags"] == []


def test_an_order_from_a_seller_being_onboarded_is_accepted_and_flagged(tnet):
    """Registered on the network (KYC under way) but not yet onboarded into a program."""
    builder = NetworkBuilder(tnet.svc, tnet.operator_user)
    newcomer = builder.organisation("Medical AS", ("supplier",), lei="5299000MEDICAL0000NO")
    root = _peppol_order()
    _readdress(root, "BuyerCustomerParty", "0199", tnet.party(tnet.anchor).lei or "")
    _readdress(root, "SellerSupplierParty", "0199", "5299000MEDICAL0000NO")
    report = tnet.desk.import_orders(tnet.anchor_user, [("po.xml", _bytes(root))])
    assert report.committed and report.items[0].flags == ["seller_onboarding"]
    [doc] = tnet.desk.documents(kind="order")
    assert doc["seller_org_id"] == newcomer and doc["flags"] == ["seller_onboarding"]
