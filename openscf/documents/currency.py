"""ISO 4217 minor-unit exponents and exact conversion of decimal amounts to minor units."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from openscf.documents.errors import AmountPrecisionError, InvalidValueError

# Currencies whose minor unit is not 1/100. Every other well-formed code has exponent 2.
_EXPONENTS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip

_CODE = re.compile(r"^[A-Z]{3}$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit (JPY 0, EUR 2, KWD 3)."""
    if not _CODE.match(currency):
        raise InvalidValueError(f"{currency!r} is not an ISO 4217 currency code")
    return _EXPONENTS.get(currency, 2)


def parse_decimal(text: str) -> Decimal:
    """Read an xs:decimal lexical value exactly; refuse exponents, NaN and infinities."""
    stripped = text.strip()
    if not _DECIMAL.match(stripped):
        raise InvalidValueError(f"{text!r} is not a decimal number")
    try:
        return Decimal(stripped)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise InvalidValueError(f"{text!r} is not a decimal number") from exc


def to_minor(amount: Decimal | str, currency: str) -> int:
    """Convert a decimal amount to integer minor units, exactly.

    Raises `AmountPrecisionError` when the amount has more (non-zero) decimals than the
    currency allows: `to_minor("1.005", "EUR")` is an error, `to_minor("1.50", "EUR")` is 150.
    """
    value = parse_decimal(amount) if isinstance(amount, str) else amount
    exp = exponent(currency)
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise AmountPrecisionError(
            f"amount {value} has more decimals than {currency} allows ({exp})"
        )
    return int(scaled)
