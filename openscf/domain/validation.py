"""Small pure checks of identifiers: IBAN (ISO 13616 mod-97) and BIC (ISO 9362 shape).

The documents package checks accounts against the full registry (schwifty) before any
payment file is written; these checks keep obviously wrong accounts out of the ledger.
"""

from __future__ import annotations

import re

from openscf.domain.errors import InvalidRequest

__all__ = ["check_bic", "check_iban", "make_iban"]

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def _mod97_digits(text: str) -> int:
    # ISO 13616: letters count as 10..35, the whole string read as one decimal number.
    return int("".join(str(int(ch, 36)) for ch in text))


def make_iban(country: str, bban: str) -> str:
    """The IBAN for a country and domestic account (BBAN), with its check digits."""
    return f"{country}{98 - _mod97_digits(bban + country + '00') % 97:02d}{bban}"


def check_iban(iban: str) -> str:
    compact = iban.replace(" ", "").upper()
    if not _IBAN.match(compact):
        raise InvalidRequest("invalid_iban", f"{iban!r} is not shaped like an IBAN", "iban")
    if _mod97_digits(compact[4:] + compact[:4]) % 97 != 1:
        raise InvalidRequest("invalid_iban", f"{iban!r} fails the IBAN check digits", "iban")
    return compact


def check_bic(bic: str) -> str:
    compact = bic.replace(" ", "").upper()
    if not _BIC.match(compact):
        raise InvalidRequest("invalid_bic", f"{bic!r} is not a BIC (8 or 11 characters)", "bic")
    return compact
