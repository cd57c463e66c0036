"""Bank identifiers: IBAN and BIC checks, ISO 11649 RF creditor references.

IBAN and BIC checks use `schwifty` (checksum, length and structure per country, BIC
format and country). RF creditor references (ISO 11649) are computed here: `RF`, two check
digits, then 1 to 21 letters or digits, checked with ISO 7064 mod 97-10 like an IBAN.

Every failure raises `DocumentError` with a stable code (`invalid_iban`, `invalid_bic`,
`invalid_creditor_reference`) and names the offending value in `location` when given.
"""

from __future__ import annotations

import re
from functools import lru_cache

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from openscf.documents.errors import DocumentError, InvalidValueError


def _invalid(code: str, message: str, location: str | None = None) -> InvalidValueError:
    """An `InvalidValueError` with a specific code; `location` names the offending field."""
    return InvalidValueError(message, code=code, element=location)


__all__ = [
    "create_rf_reference",
    "format_rf_reference",
    "is_valid_bic",
    "is_valid_iban",
    "is_valid_rf_reference",
    "validate_bic",
    "validate_iban",
    "validate_rf_reference",
]

_SPACES = re.compile(r"[\s]+")
_RF_BODY = re.compile(r"[A-Z0-9]{1,21}")
_RF_FULL = re.compile(r"RF[0-9]{2}[A-Z0-9]{1,21}")


def _compact(text: str) -> str:
    return _SPACES.sub("", text).upper()


@lru_cache(maxsize=65536)
def _check_iban(compact: str) -> str | None:
    """Return None if valid, else the reason. Cached: batches repeat the same accounts."""
    try:
        IBAN(compact)
    except SchwiftyException as exc:
        return str(exc)
    return None


@lru_cache(maxsize=16384)
def _check_bic(compact: str) -> str | None:
    try:
        BIC(compact)
    except SchwiftyException as exc:
        return str(exc)
    return None


def validate_iban(text: str, *, location: str | None = None) -> str:
    """Return the IBAN in compact electronic form (no spaces, upper case) or raise.

    Checks country code, the country's length and structure, and the mod-97 checksum.
    """
    if not isinstance(text, str) or not text.strip():
        raise _invalid("invalid_iban", "IBAN is missing", location)
    compact = _compact(text)
    reason = _check_iban(compact)
    if reason is not None:
        raise _invalid("invalid_iban", f"IBAN {text.strip()!r} is not valid: {reason}", location)
    return compact


def is_valid_iban(text: str) -> bool:
    """True when `text` is a valid IBAN (spaces allowed, any case)."""
    try:
        validate_iban(text)
    except DocumentError:
        return False
    return True


def validate_bic(text: str, *, location: str | None = None) -> str:
    """Return the BIC (8 or 11 characters, upper case) or raise.

    Checks the ISO 9362 format (4 bank letters/digits, 2-letter country that exists,
    2 location characters, optional 3 branch characters).
    """
    if not isinstance(text, str) or not text.strip():
        raise _invalid("invalid_bic", "BIC is missing", location)
    compact = _compact(text)
    reason = _check_bic(compact)
    if reason is not None:
        raise _invalid("invalid_bic", f"BIC {text.strip()!r} is not valid: {reason}", location)
    return compact


def is_valid_bic(text: str) -> bool:
    """True when `text` is a well-formed BIC."""
    try:
        validate_bic(text)
    except DocumentError:
        return False
    return True


def _mod97(alnum: str) -> int:
    """ISO 7064 mod 97-10 over letters (A=10 .. Z=35) and digits."""
    digits = "".join(str(int(ch, 36)) for ch in alnum)
    return int(digits) % 97


def create_rf_reference(body: str, *, location: str | None = None) -> str:
    """Build an ISO 11649 creditor reference `RFkk<body>` from 1-21 letters/digits.

    Spaces are dropped and letters upper-cased, so `create_rf_reference("539 007547034")`
    gives `RF18539007547034`.
    """
    compact = _compact(body) if isinstance(body, str) else ""
    if not _RF_BODY.fullmatch(compact):
        raise _invalid(
            "invalid_creditor_reference",
            f"a creditor reference body must be 1 to 21 letters or digits, got {body!r}",
            location,
        )
    check = 98 - _mod97(compact + "RF00")
    return f"RF{check:02d}{compact}"


def validate_rf_reference(text: str, *, location: str | None = None) -> str:
    """Return the RF reference in compact form (`RF18539007547034`) or raise."""
    compact = _compact(text) if isinstance(text, str) else ""
    if not _RF_FULL.fullmatch(compact):
        raise _invalid(
            "invalid_creditor_reference",
            f"{text!r} is not an RF creditor reference (RF, 2 check digits, 1-21 letters "
            "or digits)",
            location,
        )
    if _mod97(compact[4:] + compact[:4]) != 1:
        raise _invalid(
            "invalid_creditor_reference",
            f"RF creditor reference {text!r} has wrong check digits",
            location,
        )
    return compact


def is_valid_rf_reference(text: str) -> bool:
    """True when `text` is a valid ISO 11649 reference (spaces allowed)."""
    try:
        validate_rf_reference(text)
    except DocumentError:
        return False
    return True


def format_rf_reference(text: str) -> str:
    """Print form of a valid RF reference: groups of four (`RF18 5390 0754 7034`)."""
    compact = validate_rf_reference(text)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
