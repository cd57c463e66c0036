"""Small pure checks of identifiers: IBAN (ISO 13616 mod-97) and BIC (ISO 9362 shape),
and of the names people read (`check_name`).

The documents package checks accounts against the full registry (schwifty) before any
payment file is written; these checks keep obviously wrong accounts out of the ledger.
"""

from __future__ import annotations

import re
import unicodedata

from openscf.domain.errors import InvalidRequest

__all__ = ["check_bic", "check_iban", "check_name", "make_iban"]

# Categories of characters a name shown to people may not contain: controls (Cc), format
# characters (Cf: the bidi embeddings, overrides and isolates U+202A-202E, U+2066-2069,
# the marks U+200E/200F/061C, zero-width U+200B-200D, U+2060, U+FEFF ...), surrogates,
# private-use and unassigned code points, and line/paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters that draw nothing (Hangul fillers, the braille blank).
_INVISIBLE_LETTERS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"})

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


def check_name(name: str, what: str = "a name", param: str = "name") -> str:
    """The name as stored: NFKC-normalised (compatibility forms such as full-width
    letters or ligatures become their plain letters) and trimmed. Refused: an empty
    name, and any invisible or direction-changing character, which would let a name
    display as something other than what it is (e.g. a right-to-left override)."""
    normal = unicodedata.normalize("NFKC", name).strip()
    if not normal:
        raise InvalidRequest("missing_name", f"{what} needs a name", param)
    for position, ch in enumerate(normal, 1):
        if unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in _INVISIBLE_LETTERS:
            raise InvalidRequest(
                "invalid_name",
                f"{what}'s name contains the invisible or direction-changing "
                f"character U+{ord(ch):04X} at position {position}; type the name as it "
                "reads",
                param,
            )
    return normal
