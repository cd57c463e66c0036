"""Invoice fingerprints: exact and near duplicates, shareable without the invoice.

One invoice must back at most one receivable, on this network and elsewhere. This module
gives every invoice a canonical identity and finds invoices that look like another one:

- `InvoiceKey`: seller id, buyer id, invoice number, amount (minor units), currency, issue
  date. `key_from_invoice` derives it from a `NormalisedInvoice`.
- numbers compare by `loose_invoice_number_key` (openscf.domain.invoice_number): look-alike
  letters folded, leading zeros of every digit run dropped, spaces and punctuation
  removed: "inv-000123" and "INV 123" are both "INV123".
- `fingerprint(key)`: SHA-256 (hex) of a versioned, length-prefixed canonical encoding.
- `keyed_fingerprint(key, secret)`: HMAC-SHA256 of the same bytes, for sharing with other
  platforms or a registry that hold the same secret; without it the values reveal nothing.
- `export_fingerprints` / `import_fingerprints`: JSON-lines files carrying only a format
  version, a key id and keyed fingerprints (sorted, deduplicated), never invoice contents.
- `FingerprintIndex`: finds exact and near duplicates of a new invoice among known ones,
  blocked by (seller, buyer) so each check looks at one relationship only.

Everything is pure except the index, which is an in-memory structure owned by its caller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from openscf.documents.errors import InvalidValueError
from openscf.documents.invoice import NormalisedInvoice, Party
from openscf.domain.invoice_number import loose_invoice_number_key


def _invalid(code: str, message: str, location: str | None = None) -> InvalidValueError:
    """An `InvalidValueError` with a specific code; `location` names the offending field."""
    return InvalidValueError(message, code=code, element=location)


def _at_line(code: str, message: str, source: str, line: int) -> InvalidValueError:
    return InvalidValueError(message, code=code, source=source, line=line)


__all__ = [
    "FINGERPRINT_FILE_VERSION",
    "FingerprintFile",
    "FingerprintIndex",
    "InvoiceKey",
    "NearDuplicate",
    "NearDuplicateRules",
    "edit_distance_at_most_one",
    "export_fingerprints",
    "find_near_duplicates",
    "fingerprint",
    "import_fingerprints",
    "key_from_invoice",
    "keyed_fingerprint",
    "normalise_party_id",
]

FINGERPRINT_FILE_VERSION = 1
_DOMAIN = b"openscf/invoice-fingerprint/v1"
_MIN_SECRET_BYTES = 32
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def normalise_party_id(value: str) -> str:
    """Party identifiers compare without case, spaces or punctuation."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value).upper())


@dataclass(frozen=True, slots=True)
class InvoiceKey:
    """What identifies an invoice for duplicate checks. Amount in minor units."""

    seller_id: str
    buyer_id: str
    number: str
    amount_minor: int
    currency: str
    issue_date: date

    @property
    def normalised_number(self) -> str:
        return loose_invoice_number_key(self.number)

    @property
    def relationship(self) -> tuple[str, str]:
        return (normalise_party_id(self.seller_id), normalise_party_id(self.buyer_id))


def _party_id(party: Party, role: str, location: str) -> str:
    """Most stable identifier of a party: legal id, then VAT id, then other ids, then the
    electronic address. Scheme-qualified so that equal numbers in two schemes differ."""
    if party.legal_id is not None and party.legal_id.value.strip():
        return f"{party.legal_id.scheme or ''}:{party.legal_id.value}"
    if party.vat_id and party.vat_id.strip():
        return f"VAT:{party.vat_id}"
    for pid in party.ids:
        if pid.value.strip():
            return f"{pid.scheme or ''}:{pid.value}"
    if party.endpoint_id is not None and party.endpoint_id.value.strip():
        return f"{party.endpoint_id.scheme or ''}:{party.endpoint_id.value}"
    raise _invalid(
        "missing_party_id",
        f"the {role} has no identifier (legal id, VAT id, party id or endpoint id)",
        location,
    )


def key_from_invoice(invoice: NormalisedInvoice) -> InvoiceKey:
    """The `InvoiceKey` of a normalised invoice; the amount is the payable amount (BT-115)."""
    return InvoiceKey(
        seller_id=_party_id(invoice.seller, "seller", f"invoice {invoice.number}: seller"),
        buyer_id=_party_id(invoice.buyer, "buyer", f"invoice {invoice.number}: buyer"),
        number=invoice.number,
        amount_minor=invoice.payable_minor,
        currency=invoice.currency,
        issue_date=invoice.issue_date,
    )


def _canonical_bytes(key: InvoiceKey) -> bytes:
    parts = (
        normalise_party_id(key.seller_id),
        normalise_party_id(key.buyer_id),
        key.normalised_number,
        str(int(key.amount_minor)),
        key.currency.strip().upper(),
        key.issue_date.isoformat(),
    )
    out = bytearray(_DOMAIN)
    for part in parts:
        encoded = part.encode("utf-8")
        out += b"\n%d:" % len(encoded) + encoded
    return bytes(out)


def fingerprint(key: InvoiceKey) -> str:
    """SHA-256 (lower-case hex) of the canonical invoice identity."""
    return hashlib.sha256(_canonical_bytes(key)).hexdigest()


def keyed_fingerprint(key: InvoiceKey, secret: bytes) -> str:
    """HMAC-SHA256 (lower-case hex) of the canonical identity under a shared secret."""
    if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET_BYTES:
        raise _invalid(
            "weak_fingerprint_key",
            f"the fingerprint secret must be at least {_MIN_SECRET_BYTES} bytes",
            "secret",
        )
    return hmac.new(secret, _canonical_bytes(key), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------
# Fingerprint files
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FingerprintFile:
    """An imported fingerprint file: one key id, a set of keyed fingerprints."""

    version: int
    key_id: str
    fingerprints: frozenset[str]


def export_fingerprints(keys: Iterable[InvoiceKey], *, secret: bytes, key_id: str) -> str:
    """JSON lines, one `{"version", "key_id", "fingerprint"}` object per invoice.

    Lines are sorted and deduplicated so that the file says nothing about order or count
    of repeated invoices; it holds no invoice field in the clear.
    """
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise _invalid(
            "invalid_key_id", f"key id {key_id!r} must be 1-64 of A-Z a-z 0-9 . _ : -", "key_id"
        )
    values = sorted({keyed_fingerprint(k, secret) for k in keys})
    return "".join(
        json.dumps(
            {"version": FINGERPRINT_FILE_VERSION, "key_id": key_id, "fingerprint": v},
            separators=(",", ":"),
        )
        + "\n"
        for v in values
    )


def import_fingerprints(
    text: str | bytes, *, expected_key_id: str | None = None, source: str = "fingerprints"
) -> FingerprintFile:
    """Read a fingerprint file, all or nothing. Errors name the line.

    Every line must be an object with exactly `version` (1), `key_id` (the same on every
    line, and `expected_key_id` when given) and `fingerprint` (64 lower-case hex digits).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidValueError(
                "the file is not UTF-8", code="invalid_encoding", source=source
            ) from exc
    key_id: str | None = expected_key_id
    values: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            raise _at_line("invalid_json", f"line is not JSON: {exc}", source, number) from exc
        if not isinstance(obj, dict) or set(obj) != {"version", "key_id", "fingerprint"}:
            raise _at_line(
                "invalid_fingerprint_line",
                "each line must be an object with exactly version, key_id and fingerprint",
                source,
                number,
            )
        if obj["version"] != FINGERPRINT_FILE_VERSION or isinstance(obj["version"], bool):
            raise _at_line(
                "unsupported_version",
                f"version {obj['version']!r} is not supported (expected "
                f"{FINGERPRINT_FILE_VERSION})",
                source,
                number,
            )
        kid = obj["key_id"]
        if not isinstance(kid, str) or not _KEY_ID.fullmatch(kid):
            raise _at_line("invalid_key_id", f"key id {kid!r} is not valid", source, number)
        if key_id is None:
            key_id = kid
        elif kid != key_id:
            raise _at_line(
                "key_id_mismatch", f"key id {kid!r} differs from {key_id!r}", source, number
            )
        value = obj["fingerprint"]
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise _at_line(
                "invalid_fingerprint",
                "fingerprint must be 64 lower-case hex digits",
                source,
                number,
            )
        values.add(value)
    if key_id is None:
        raise InvalidValueError(
            "the fingerprint file has no lines", code="empty_file", source=source
        )
    return FingerprintFile(
        version=FINGERPRINT_FILE_VERSION, key_id=key_id, fingerprints=frozenset(values)
    )


# ---------------------------------------------------------------------------------------
# Near duplicates
# ---------------------------------------------------------------------------------------


def edit_distance_at_most_one(a: str, b: str) -> bool:
    """True when `a` becomes `b` by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def _deletions(text: str) -> set[str]:
    return {text} | {text[:i] + text[i + 1 :] for i in range(len(text))}


@dataclass(frozen=True, slots=True)
class NearDuplicateRules:
    """When two invoices of one seller to one buyer are flagged for review.

    Flag if the normalised numbers are within edit distance `number_distance` (only 0 or
    1 supported), or if the numbers are equal and the amounts (same currency) differ by at
    most `amount_bps` basis points of the larger, or the issue dates by at most
    `date_days` days. With `similar_number_needs_amount_or_date`, a number one edit away
    is flagged only when amount or date is also close (fewer flags on sequential numbers).
    """

    number_distance: int = 1
    amount_bps: int = 100
    date_days: int = 3
    similar_number_needs_amount_or_date: bool = False


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    """A known invoice that a new one resembles, with the reasons (stable codes)."""

    existing_ref: str
    existing: InvoiceKey
    reasons: tuple[str, ...]


def _amount_close(a: InvoiceKey, b: InvoiceKey, bps: int) -> bool:
    if a.currency.upper() != b.currency.upper():
        return False
    larger = max(abs(a.amount_minor), abs(b.amount_minor))
    return abs(a.amount_minor - b.amount_minor) * 10_000 <= larger * bps


def _compare(
    new: InvoiceKey, new_number: str, old: InvoiceKey, old_number: str, rules: NearDuplicateRules
) -> tuple[str, ...]:
    reasons: list[str] = []
    if fingerprint(new) == fingerprint(old):
        return ("exact_duplicate",)
    amount_close = _amount_close(new, old, rules.amount_bps)
    date_close = abs((new.issue_date - old.issue_date).days) <= rules.date_days
    if new_number == old_number:
        reasons.append("same_number")
        if amount_close:
            reasons.append("amount_within_tolerance")
        if date_close:
            reasons.append("date_within_tolerance")
        return tuple(reasons) if len(reasons) > 1 else ()
    if rules.number_distance >= 1 and edit_distance_at_most_one(new_number, old_number):
        if rules.similar_number_needs_amount_or_date and not (amount_close or date_close):
            return ()
        reasons.append("number_one_edit_away")
        if amount_close:
            reasons.append("amount_within_tolerance")
        if date_close:
            reasons.append("date_within_tolerance")
        return tuple(reasons)
    return ()


@dataclass(slots=True)
class _Block:
    by_number: dict[str, list[int]] = field(default_factory=dict)
    by_variant: dict[str, set[int]] = field(default_factory=dict)


class FingerprintIndex:
    """Known invoices, blocked by (seller, buyer), for fast duplicate checks.

    `check(key)` compares a new invoice only with invoices of the same relationship whose
    normalised number is equal or one edit away (found through a deletion-variant index),
    so a check costs about the length of the number, not the size of the index.
    """

    def __init__(self, rules: NearDuplicateRules | None = None) -> None:
        self._rules = rules or NearDuplicateRules()
        self._entries: list[tuple[str, InvoiceKey, str]] = []
        self._blocks: dict[tuple[str, str], _Block] = {}
        self._exact: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[str, InvoiceKey]]:
        return ((ref, key) for ref, key, _ in self._entries)

    def add(self, ref: str, key: InvoiceKey) -> None:
        """Remember an invoice under the caller's reference (an invoice id)."""
        number = key.normalised_number
        position = len(self._entries)
        self._entries.append((ref, key, number))
        block = self._blocks.setdefault(key.relationship, _Block())
        block.by_number.setdefault(number, []).append(position)
        for variant in _deletions(number):
            block.by_variant.setdefault(variant, set()).add(position)
        self._exact.setdefault(fingerprint(key), ref)

    def exact(self, key: InvoiceKey) -> str | None:
        """The reference of an invoice with the same canonical fingerprint, if any."""
        return self._exact.get(fingerprint(key))

    def check(self, key: InvoiceKey) -> list[NearDuplicate]:
        """Known invoices the new one duplicates or resembles, in the order they were added."""
        block = self._blocks.get(key.relationship)
        if block is None:
            return []
        number = key.normalised_number
        candidates: set[int] = set(block.by_number.get(number, ()))
        if self._rules.number_distance >= 1:
            for variant in _deletions(number):
                candidates |= block.by_variant.get(variant, set())
        found: list[NearDuplicate] = []
        for position in sorted(candidates):
            ref, old, old_number = self._entries[position]
            reasons = _compare(key, number, old, old_number, self._rules)
            if reasons:
                found.append(NearDuplicate(existing_ref=ref, existing=old, reasons=reasons))
        return found


def find_near_duplicates(
    key: InvoiceKey,
    existing: Iterable[tuple[str, InvoiceKey]],
    rules: NearDuplicateRules | None = None,
) -> list[NearDuplicate]:
    """Pure form of `FingerprintIndex.check` over (reference, key) pairs."""
    index = FingerprintIndex(rules)
    for ref, old in existing:
        index.add(ref, old)
    return index.check(key)
