"""Pricing arithmetic: discounts, proceeds and rates. Rates are Decimal, never float.

discount = face x annual rate x days / basis      (rounded half-even to the minor unit)
proceeds = face - discount - fees
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from openscf.domain.errors import InvalidRequest
from openscf.domain.money import round_half_even

__all__ = ["MAX_ANNUAL_RATE", "discount_minor", "parse_rate"]

# A 100% annual rate is far beyond any supply-chain finance price; past it is a typo.
MAX_ANNUAL_RATE = Decimal(1)


def parse_rate(text: str | Decimal, param: str = "annual_rate") -> Decimal:
    """An annual rate as a decimal fraction ('0.045' is 4.5%), 0 < rate <= 1."""
    try:
        rate = Decimal(str(text))
    except InvalidOperation:
        raise InvalidRequest(
            "invalid_rate", f"{text!r} is not a decimal rate such as '0.045'", param
        ) from None
    if not rate.is_finite() or rate <= 0 or rate > MAX_ANNUAL_RATE:
        raise InvalidRequest(
            "invalid_rate",
            f"the annual rate must be a decimal fraction above 0 and at most 1, got {text!r}",
            param,
        )
    return rate


def discount_minor(face_minor: int, annual_rate: Decimal, days: int, basis: int) -> int:
    """face x rate x days / basis, rounded half-even to the minor unit.

    Preconditions: face_minor > 0, days >= 0, basis in (360, 365).
    """
    assert face_minor > 0 and days >= 0 and basis in (360, 365)
    return round_half_even(Decimal(face_minor) * annual_rate * days / basis)
