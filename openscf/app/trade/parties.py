"""Who a document's parties are on the network: resolved by LEI, name or IBAN."""

from __future__ import annotations

from collections.abc import Sequence

from openscf.documents.fingerprint import normalise_party_id
from openscf.documents.invoice import Party
from openscf.domain.model import Organisation


def party_key(org: Organisation) -> str:
    """The network identity of an organisation in invoice fingerprints: its LEI when it
    has one (so other platforms derive the same key), else its openscf id."""
    return f"LEI:{org.lei}" if org.lei else f"OPENSCF:{org.id}"


def norm_name(text: str) -> str:
    return " ".join(text.casefold().split())


def party_values(party: Party) -> set[str]:
    ids = [p.value for p in party.ids]
    for pid in (party.legal_id, party.endpoint_id):
        if pid is not None:
            ids.append(pid.value)
    if party.vat_id:
        ids.append(party.vat_id)
    return {normalise_party_id(v) for v in ids if v.strip()}


def resolve_party(
    party: Party, orgs: Sequence[Organisation], iban: str | None = None
) -> Organisation | None:
    """The organisation a document's party names: by LEI among its identifiers, then by
    exact name, then by a payment IBAN that only one organisation has."""
    values = party_values(party)
    by_lei = [o for o in orgs if o.lei and normalise_party_id(o.lei) in values]
    if len(by_lei) == 1:
        return by_lei[0]
    if party.name:
        by_name = [o for o in orgs if norm_name(o.name) == norm_name(party.name)]
        if len(by_name) == 1:
            return by_name[0]
    if iban:
        compact = iban.replace(" ", "").upper()
        by_iban = [o for o in orgs if o.iban == compact]
        if len(by_iban) == 1:
            return by_iban[0]
    return None


def describe_party(party: Party) -> str:
    ids = ", ".join(sorted(party_values(party))) or "no identifiers"
    return f"{party.name or '(no name)'} ({ids})"
