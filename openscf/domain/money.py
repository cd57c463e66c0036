"""Money: an integer count of minor units and an ISO 4217 currency. Never a float.

This module is the one place that knows currencies and their exponents, reads amounts
and writes them, for every layer (the domain is the innermost layer; all others import it):

- `exponent(currency)`: the decimals of the currency's minor unit (JPY 0, EUR 2, BHD 3).
  A code missing from the table is refused (`unknown_currency`), never guessed: a wrong
  exponent silently mis-scales every amount by a factor of ten or more.
- `parse_amount(text, currency)`: an amount a *person typed*, read strictly (see below).
- `parse_document_amount(text, currency)` / `parse_decimal(text)`: an amount written in a
  *document* (an XML decimal, a CSV cell), read exactly.
- `format_amount(amount_minor, currency)`: what a person sees, '12,500.00 EUR'.
- `format_minor(amount_minor, currency)`: the plain decimal a file carries, '12500.00'.

The typed format. An amount a person types is digits, optionally grouped in threes by
commas, and optionally a point followed by at most as many decimals as the currency has:
``12500``, ``12500.00``, ``12,500`` and ``12,500.00`` are all twelve thousand five hundred
euros. Nothing else is guessed at: ``12.500,00`` (decimal comma), ``12 500`` (spaces),
``12,50`` (a comma that is not a thousands separator), ``1e3`` (exponent), ``-5`` and ``0``
(not above zero), ``12.500`` in EUR (three decimals) are refused with a message saying the
accepted format. A person confirms the amount shown back by `format_amount` before any
irrevocable step, which catches what a strict format cannot (a digit too many).

Amounts are limited to the signed 64-bit range so that every database and every client
can hold them exactly. Allocation of a whole into parts always assigns the remainder
deterministically, so parts sum exactly to the whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from openscf.domain.errors import InvalidRequest

__all__ = [
    "CURRENCY_EXPONENTS",
    "MAX_AMOUNT_MINOR",
    "TYPED_FORMAT",
    "allocate",
    "check_amount",
    "check_currency",
    "decimal_to_minor",
    "exponent",
    "format_amount",
    "format_minor",
    "minor_to_decimal",
    "parse_amount",
    "parse_decimal",
    "parse_document_amount",
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

TYPED_FORMAT = "digits, ',' between thousands if you like, '.' before the decimals"

# ASCII digits only: str.isdigit() and \d also accept other scripts' digits.
_TYPED = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?")
_XS_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_TEXT = 64  # longer than any amount that fits in 64 bits, however written


def check_currency(currency: str, param: str = "currency") -> str:
    if not isinstance(currency, str) or currency not in CURRENCY_EXPONENTS:
        raise InvalidRequest(
            "unknown_currency",
            f"{currency!r} is not an ISO 4217 currency code this platform supports",
            param,
        )
    return currency


def exponent(currency: str, param: str = "currency") -> int:
    """Decimals of the currency's minor unit (JPY 0, EUR 2, BHD 3); unknown codes refused."""
    return CURRENCY_EXPONENTS[check_currency(currency, param)]


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


# --- writing ------------------------------------------------------------------------------


def format_minor(amount_minor: int, currency: str) -> str:
    """The plain decimal a file or a JSON field carries: (1234567, 'EUR') -> '12345.67'.

    No grouping, no currency code; JPY '1234', BHD '1.234'. Exact (no float).
    """
    exp = exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    digits = str(abs(amount_minor)).rjust(exp + 1, "0")
    if exp == 0:
        return sign + digits
    return f"{sign}{digits[:-exp]}.{digits[-exp:]}"


def format_amount(amount_minor: int, currency: str) -> str:
    """What a person sees: (1250000, 'EUR') -> '12,500.00 EUR'; JPY '12,500 JPY'.

    Every amount shown to a person (CLI, dashboard, error messages) goes through here, in
    the format `parse_amount` reads back.
    """
    text = format_minor(amount_minor, currency)
    sign = "-" if text.startswith("-") else ""
    whole, _, decimals = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}{'.' + decimals if decimals else ''} {currency}"


def minor_to_decimal(amount_minor: int, currency: str) -> Decimal:
    """(123456, 'EUR') -> Decimal('1234.56'), exactly."""
    return Decimal(amount_minor).scaleb(-exponent(currency))


# --- reading what a person typed -------------------------------------------------------------


def _example(currency: str) -> str:
    return format_amount(12_500 * 10 ** CURRENCY_EXPONENTS[currency], currency).split()[0]


def parse_amount(text: str, currency: str, param: str = "amount") -> int:
    """An amount a person typed, in major units, to minor units: '12,500.00' EUR -> 1250000.

    Accepts exactly the typed format of this module's docstring and nothing else; the
    amount must be above zero. Each refusal is one line saying the accepted format.
    """
    exp = exponent(currency)
    example = _example(currency)
    raw = text.strip() if isinstance(text, str) else ""
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    if raw.startswith("-"):
        raise InvalidRequest(
            "invalid_amount", f"the amount must be above zero, not {shown!r}", param
        )
    match = _TYPED.fullmatch(raw) if len(raw) <= _MAX_TEXT else None
    if match is None:
        raise InvalidRequest(
            "invalid_amount",
            f"{shown!r} is not a decimal amount: type {TYPED_FORMAT}, e.g. {example}",
            param,
        )
    decimals: str = match.group(1) or ""
    if len(decimals) > exp:
        has = f"{exp} decimals" if exp else "no decimals"
        raise InvalidRequest(
            "too_many_decimals",
            f"{currency} amounts have {has}; {shown!r} has {len(decimals)} "
            f"(type {TYPED_FORMAT}, e.g. {example})",
            param,
        )
    whole: str = match.group(0).partition(".")[0].replace(",", "")
    minor: int = int(whole) * 10**exp + int(decimals.ljust(exp, "0") or "0")
    if minor == 0:
        raise InvalidRequest(
            "invalid_amount", f"the amount must be above zero, not {shown!r}", param
        )
    if minor > MAX_AMOUNT_MINOR:
        raise InvalidRequest(
            "amount_too_large", f"{shown!r} is too large for an amount in {currency}", param
        )
    return minor


# --- reading documents ------------------------------------------------------------------------


def parse_decimal(text: str, param: str = "amount") -> Decimal:
    """An XML Schema xs:decimal ('-12.5', '+.5', '12.') read exactly.

    Documents are written by programs, not people: no grouping, a point before decimals;
    exponents, NaN and infinities are refused (`invalid_decimal`).
    """
    raw = text.strip() if isinstance(text, str) else ""
    if len(raw) > _MAX_TEXT or not _XS_DECIMAL.fullmatch(raw):
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise InvalidRequest("invalid_decimal", f"{shown!r} is not a decimal number", param)
    return Decimal(raw)


def decimal_to_minor(value: Decimal, currency: str, param: str = "amount") -> int:
    """A decimal amount in major units to minor units, exactly, or `amount_precision`.

    Extra decimals are accepted only when they are zeros ('12.300' EUR -> 1230); '0.005'
    EUR is refused, never rounded.
    """
    exp = exponent(currency)
    with localcontext() as ctx:
        ctx.prec = 100  # exact for anything parse_decimal reads: scaleb must not round
        scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise InvalidRequest(
            "amount_precision",
            f"{value} has more than {exp} decimals, the minor unit of {currency}",
            param,
        )
    return int(scaled)


def parse_document_amount(text: str, currency: str, param: str = "amount") -> int:
    """An amount written in a document (xs:decimal, major units) to minor units, exactly.

    '1500.00' CHF -> 150000; '-0.5' EUR -> -50; '50.000' NOK -> 5000; '0.005' EUR and
    '1e3' are refused. The sign is kept: whether a negative amount makes sense is for the
    document's own rules to say.
    """
    exponent(currency)
    try:
        value = parse_decimal(text, param)
    except InvalidRequest as exc:
        raise InvalidRequest(
            "invalid_amount", f"{exc.message} (an amount such as 1234.56)", param
        ) from None
    return decimal_to_minor(value, currency, param)


# --- arithmetic -------------------------------------------------------------------------------


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
