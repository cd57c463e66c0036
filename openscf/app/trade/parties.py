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


# ISO 6523 ICD 0199 (also the Peppol EAS code) is the LEI; some documents write "LEI".
LEI_SCHEMES = frozenset({"0199", "LEI"})


def scheme_ids(party: Party) -> list[tuple[str | None, str]]:
    """Every identifier of a party with its scheme, once each, in document order."""
    found: list[tuple[str | None, str]] = []
    for pid in (party.endpoint_id, *party.ids, party.legal_id):
        if pid is not None and pid.value.strip():
            pair = (pid.scheme.strip() if pid.scheme else None, pid.value.strip())
            if pair not in found:
                found.append(pair)
    return found


def _looks_like_lei(value: str) -> bool:
    compact = normalise_party_id(value)
    return len(compact) == 20 and compact.isalnum()


def resolve_by_scheme(party: Party, orgs: Sequence[Organisation]) -> Organisation | None:
    """The organisation a party names, reading each identifier by its scheme: an LEI
    (scheme 0199 or LEI, or no scheme and LEI-shaped) against the network's LEIs, never
    an identifier of another scheme (a GLN, a national company number) against them;
    then the exact name. None when neither names exactly one organisation."""
    leis = {
        normalise_party_id(value)
        for scheme, value in scheme_ids(party)
        if (scheme is not None and scheme.upper() in LEI_SCHEMES)
        or (scheme is None and _looks_like_lei(value))
    }
    by_lei = [o for o in orgs if o.lei and normalise_party_id(o.lei) in leis]
    if len(by_lei) == 1:
        return by_lei[0]
    if party.name:
        by_name = [o for o in orgs if norm_name(o.name) == norm_name(party.name)]
        if len(by_name) == 1:
            return by_name[0]
    return None


def name_party(party: Party) -> str:
    """A party as a person reads it: its name and its identifiers with their schemes."""
    ids = ", ".join(f"{s}:{v}" if s else v for s, v in scheme_ids(party)) or "no identifiers"
    return f"{party.name or '(no name)'} ({ids})"
