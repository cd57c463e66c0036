"""Money: an integer count of minor units and an ISO 4217 currency. Never a float.

The exponent comes from the currency (JPY 0, EUR 2, KWD 3). Amounts are limited to the
signed 64-bit range so that every database and every client can hold them exactly.
Allocation of a whole into parts always assigns the remainder deterministically, so parts
sum exactly to the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

from openscf.domain.errors import InvalidRequest

__all__ = [
    "CURRENCY_EXPONENTS",
    "MAX_AMOUNT_MINOR",
    "Money",
    "allocate",
    "check_amount",
    "check_currency",
    "format_minor",
    "parse_major",
    "round_half_even",
]

MAX_AMOUNT_MINOR = 2**63 - 1

# ISO 4217 active codes with their minor-unit exponent. Codes absent here are refused
# rather than guessed, because a wrong exponent silently mis-scales every amount.
_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4 = "CLF UYW"
_EXPONENT_2 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
    "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
    "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN "
    "NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES "
    "WST XCD YER ZAR ZMW ZWG"
)

CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_EXPONENT_0.split(), 0),
    **dict.fromkeys(_EXPONENT_2.split(), 2),
    **dict.fromkeys(_EXPONENT_3.split(), 3),
    **dict.fromkeys(_EXPONENT_4.split(), 4),
}


def check_currency(currency: str, param: str = "currency") -> str:
    if currency not in CURRENCY_EXPONENTS:
        raise InvalidRequest(
            "unknown_currency",
            f"{currency!r} is not an ISO 4217 currency code this platform supports",
            param,
        )
    return currency


def check_amount(amount_minor: int, param: str = "amount_minor") -> int:
    """Refuse anything but a positive integer that fits in signed 64 bits."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidRequest(
            "invalid_amount", "amounts are whole numbers of minor units (e.g. cents)", param
        )
    if amount_minor <= 0:
        raise InvalidRequest(
            "amount_not_positive", f"the amount must be positive, got {amount_minor}", param
        )
    if amount_minor > MAX_AMOUNT_MINOR:
        raise InvalidRequest(
            "amount_too_large",
            f"the amount must be at most 2^63-1 minor units, got {amount_minor}",
            param,
        )
    return amount_minor


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        assert isinstance(self.amount_minor, int) and not isinstance(self.amount_minor, bool)
        assert self.currency in CURRENCY_EXPONENTS, self.currency

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidRequest(
                "currency_mismatch",
                f"cannot combine {self.currency} with {other.currency}",
                "currency",
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __str__(self) -> str:
        return f"{format_minor(self.amount_minor, self.currency)} {self.currency}"


def format_minor(amount_minor: int, currency: str) -> str:
    """'1234567', 'EUR' -> '12345.67' (exact, no float)."""
    exponent = CURRENCY_EXPONENTS[currency]
    sign = "-" if amount_minor < 0 else ""
    digits = str(abs(amount_minor)).rjust(exponent + 1, "0")
    if exponent == 0:
        return sign + digits
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


def parse_major(text: str, currency: str, param: str = "amount") -> int:
    """'12345.67', 'EUR' -> 1234567. Refuses more decimals than the currency has."""
    check_currency(currency)
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise InvalidRequest("invalid_amount", f"{text!r} is not a decimal amount", param) from None
    if not value.is_finite():
        raise InvalidRequest("invalid_amount", f"{text!r} is not a decimal amount", param)
    exponent = CURRENCY_EXPONENTS[currency]
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise InvalidRequest(
            "too_many_decimals",
            f"{currency} amounts have {exponent} decimals; {text!r} has more",
            param,
        )
    return int(scaled)


def round_half_even(value: Decimal) -> int:
    """Round a Decimal to a whole number of minor units, half to even (banker's rounding)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def allocate(total_minor: int, weights: Sequence[int]) -> list[int]:
    """Split `total_minor` pro rata to positive integer `weights`; parts sum exactly.

    Each part gets the floor of its share; the remainder goes one unit at a time to the
    parts with the largest fractional remainders, ties to the earliest part. Deterministic.
    """
    assert weights and all(w > 0 for w in weights)
    weight_sum = sum(weights)
    parts = [total_minor * w // weight_sum for w in weights]
    remainders = [total_minor * w % weight_sum for w in weights]
    short = total_minor - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:short]:
        parts[i] += 1
    assert sum(parts) == total_minor
    return parts
