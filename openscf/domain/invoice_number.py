"""Invoice-number keys: the one definition of when two invoice numbers are the same.

Two keys, named for what they are for:

- `exact_invoice_number_key`: the identity of an invoice number. One invoice backs at most
  one receivable: the domain, the replay and the database's unique index compare numbers
  by this key. It removes only what never distinguishes two invoices: Unicode
  compatibility forms (NFKC: "INV1" in full-width letters is "INV1"), letter case and
  white space at either end. Dashes, inner spaces and leading zeros stay significant: a
  seller may really issue both "2024-1" and "2024-01".
- `loose_invoice_number_key`: for near-duplicate search, never for identity. On top of the
  exact key it folds Cyrillic and Greek capitals that look like Latin ones ("INV" typed
  with a Cyrillic I, U+0406, is "INV"), drops leading zeros of every digit run, then
  everything but A-Z and 0-9: "inv-000123", "INV 123" and "inv/123" with a Cyrillic I
  all give "INV123". Trade documents use it to spot an invoice submitted again in
  disguise, and fingerprints are built on it.

Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["exact_invoice_number_key", "loose_invoice_number_key"]

_DIGIT_RUN = re.compile(r"[0-9]+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")

# Upper-case Cyrillic and Greek letters drawn like a Latin capital (after NFKC and
# upper-casing). A fraudster re-submitting "INV-1" with a Cyrillic I (U+0406) changes
# the bytes, not the look; the loose key sees through it.
_LOOK_ALIKES = str.maketrans(
    {
        # Cyrillic
        "\u0410": "A",
        "\u0412": "B",
        "\u0415": "E",
        "\u041a": "K",
        "\u041c": "M",
        "\u041d": "H",
        "\u041e": "O",
        "\u0420": "P",
        "\u0421": "C",
        "\u0422": "T",
        "\u0425": "X",
        "\u0423": "Y",
        "\u0406": "I",
        "\u0408": "J",
        "\u0405": "S",
        "\u04c0": "I",
        "\u0417": "3",
        # Greek
        "\u0391": "A",
        "\u0392": "B",
        "\u0395": "E",
        "\u0396": "Z",
        "\u0397": "H",
        "\u0399": "I",
        "\u039a": "K",
        "\u039c": "M",
        "\u039d": "N",
        "\u039f": "O",
        "\u03a1": "P",
        "\u03a4": "T",
        "\u03a5": "Y",
        "\u03a7": "X",
    }
)


def exact_invoice_number_key(number: str) -> str:
    """'inv-1 ' -> 'INV-1'; the same in full-width forms -> 'INV-1'; '2024-01' stays."""
    return unicodedata.normalize("NFKC", number).strip().upper()


def loose_invoice_number_key(number: str) -> str:
    """'Inv/00042-a' -> 'INV42A'. Zeros are stripped per digit run before punctuation
    goes, so '2024/0001' and '2024-1' agree ('20241') while '100' stays '100' and '000'
    becomes '0'."""
    text = exact_invoice_number_key(number).translate(_LOOK_ALIKES)
    text = _DIGIT_RUN.sub(lambda m: m.group(0).lstrip("0") or "0", text)
    return _NOT_ALNUM.sub("", text)
