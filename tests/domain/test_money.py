"""One money module: currencies, typed and document amounts, and how amounts are shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openscf.domain.errors import InvalidRequest
from openscf.domain.money import (
    CURRENCY_EXPONENTS,
    MAX_AMOUNT_MINOR,
    decimal_to_minor,
    exponent,
    format_amount,
    format_minor,
    parse_amount,
    parse_decimal,
    parse_document_amount,
)

CURRENCIES = ["EUR", "JPY", "BHD", "KWD", "CHF", "CLF"]


def test_each_currency_has_its_own_exponent() -> None:
    assert [exponent(c) for c in ("JPY", "EUR", "BHD", "CLF")] == [0, 2, 3, 4]


@pytest.mark.parametrize(
    "reader",
    [
        lambda: exponent("XYZ"),
        lambda: format_amount(100, "XYZ"),
        lambda: format_minor(100, "XYZ"),
        lambda: parse_amount("1.00", "XYZ"),
        lambda: parse_document_amount("1.00", "XYZ"),
        lambda: decimal_to_minor(parse_decimal("1.00"), "XYZ"),
    ],
)
def test_an_unknown_currency_is_refused_never_assumed_to_have_two_decimals(reader) -> None:
    assert "XYZ" not in CURRENCY_EXPONENTS
    with pytest.raises(InvalidRequest) as caught:
        reader()
    assert caught.value.code == "unknown_currency"
    assert "'XYZ'" in caught.value.message


# --- shown to people ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (1_347_080, "EUR", "13,470.80 EUR"),
        (1_250_000, "EUR", "12,500.00 EUR"),
        (5, "EUR", "0.05 EUR"),
        (0, "EUR", "0.00 EUR"),
        (-1_250_000, "EUR", "-12,500.00 EUR"),
        (-5, "EUR", "-0.05 EUR"),
        (1_250_000, "JPY", "1,250,000 JPY"),
        (7, "JPY", "7 JPY"),
        (12_500, "BHD", "12.500 BHD"),
        (1_234_567_891, "BHD", "1,234,567.891 BHD"),
        (1, "CLF", "0.0001 CLF"),
        (MAX_AMOUNT_MINOR, "EUR", "92,233,720,368,547,758.07 EUR"),
    ],
)
def test_amounts_are_shown_with_thousands_and_the_currencys_own_decimals(
    minor: int, currency: str, shown: str
) -> None:
    assert format_amount(minor, currency) == shown


@pytest.mark.parametrize(
    ("minor", "currency", "plain"),
    [
        (123_456, "EUR", "1234.56"),
        (5, "EUR", "0.05"),
        (1234, "JPY", "1234"),
        (1, "KWD", "0.001"),
        (-50, "EUR", "-0.50"),
    ],
)
def test_files_carry_plain_decimals_without_grouping(minor: int, currency: str, plain: str) -> None:
    assert format_minor(minor, currency) == plain


# --- typed by people ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12500", "EUR", 1_250_000),
        ("12,500", "EUR", 1_250_000),
        ("12500.00", "EUR", 1_250_000),
        ("12,500.00", "EUR", 1_250_000),
        ("12,500.5", "EUR", 1_250_050),
        ("1,234,567.89", "EUR", 123_456_789),
        ("  7 ", "EUR", 700),
        ("0.01", "EUR", 1),
        ("12,500", "JPY", 12_500),
        ("12.5", "BHD", 12_500),
        ("1,234.567", "BHD", 1_234_567),
    ],
)
def test_a_typed_amount_in_the_one_format_is_read_exactly(
    text: str, currency: str, minor: int
) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12.500,00", "invalid_amount"),  # decimal comma: 12,500.00 or 12.50?
        ("12 500", "invalid_amount"),  # a space is not a thousands separator here
        ("1e3", "invalid_amount"),  # exponents
        ("-5", "invalid_amount"),  # not above zero
        ("0", "invalid_amount"),
        ("0.00", "invalid_amount"),
        ("12.500", "too_many_decimals"),  # 12500 in German, 12.50 here: refused either way
        ("12,50", "invalid_amount"),  # a comma that groups no thousands
        ("1,2345.00", "invalid_amount"),
        ("12'500.00", "invalid_amount"),
        ("EUR 12", "invalid_amount"),
        (".5", "invalid_amount"),
        ("12.", "invalid_amount"),
        ("+12", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("Infinity", "invalid_amount"),
        ("\u0661\u0662", "invalid_amount"),  # Arabic-Indic digits are digits to str.isdigit
        ("", "invalid_amount"),
        ("9" * 100, "invalid_amount"),
        ("99999999999999999999", "amount_too_large"),
    ],
)
def test_an_ambiguous_or_malformed_typed_amount_is_refused_saying_the_format(
    text: str, code: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_amount(text, "EUR", "amount")
    assert caught.value.code == code
    assert caught.value.param == "amount"
    message = caught.value.message
    assert "\n" not in message and len(message) < 200
    if code != "amount_too_large" and text not in ("-5", "0", "0.00"):
        assert "e.g. 12,500.00" in message, message
    if text in ("-5", "0", "0.00"):
        assert "above zero" in message


def test_a_currency_without_decimals_says_so() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_amount("12.5", "JPY")
    assert caught.value.code == "too_many_decimals"
    assert "JPY amounts have no decimals" in caught.value.message
    assert "e.g. 12,500" in caught.value.message


@given(st.integers(1, MAX_AMOUNT_MINOR), st.sampled_from(CURRENCIES))
def test_what_is_shown_reads_back_as_the_same_amount(minor: int, currency: str) -> None:
    number, code = format_amount(minor, currency).split(" ")
    assert code == currency
    assert parse_amount(number, currency) == minor
    assert parse_amount(number.replace(",", ""), currency) == minor


# --- written in documents -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1500.00", "CHF", 150_000),
        ("6363", "NOK", 636_300),
        ("-0.5", "EUR", -50),
        ("+.5", "EUR", 50),
        ("12.", "EUR", 1200),
        ("50.000", "NOK", 5000),
        ("1.234", "KWD", 1234),
        ("12.300", "EUR", 1230),
    ],
)
def test_a_document_amount_is_read_exactly_with_its_sign(
    text: str, currency: str, minor: int
) -> None:
    assert parse_document_amount(text, currency) == minor


def test_extra_decimals_in_a_document_are_refused_never_rounded() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_document_amount("0.005", "EUR")
    assert caught.value.code == "amount_precision"
    assert "EUR" in caught.value.message
    with pytest.raises(InvalidRequest):
        parse_document_amount("100.5", "JPY")


@pytest.mark.parametrize(
    "text", ["1e3", "1,000.00", "12 500", "abc", "", "NaN", "Infinity", "1.2.3", "1" * 80]
)
def test_a_document_amount_that_is_not_an_xml_decimal_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_document_amount(text, "EUR")
    assert caught.value.code == "invalid_amount"


def test_a_long_document_decimal_is_scaled_without_rounding() -> None:
    assert decimal_to_minor(parse_decimal("1" * 40 + ".25"), "EUR") == int("1" * 40 + "25")
    with pytest.raises(InvalidRequest):
        decimal_to_minor(parse_decimal("1" * 40 + ".251"), "EUR")


@given(st.integers(-(10**18), 10**18), st.sampled_from(CURRENCIES))
def test_a_written_amount_reads_back_as_the_same_minor_units(minor: int, currency: str) -> None:
    assert parse_document_amount(format_minor(minor, currency), currency) == minor
