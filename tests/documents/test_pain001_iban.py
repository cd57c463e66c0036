"""IBAN and BIC checks, ISO 11649 RF creditor references, and ISO 4217 amount text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openscf.documents.errors import DocumentError
from openscf.documents.iban import (
    create_rf_reference,
    format_rf_reference,
    is_valid_bic,
    is_valid_iban,
    is_valid_rf_reference,
    validate_bic,
    validate_iban,
    validate_rf_reference,
)
from openscf.documents.pain001 import format_amount, parse_amount


def test_an_iban_in_print_form_is_returned_in_compact_upper_case():
    assert validate_iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"


@pytest.mark.parametrize(
    ("iban", "reason"),
    [
        ("DE89370400440532013001", "checksum"),
        ("DE8937040044053201300", "length"),
        ("XX89370400440532013000", "country"),
        ("", "missing"),
    ],
)
def test_an_invalid_iban_is_refused_with_the_invalid_iban_code(iban, reason):
    with pytest.raises(DocumentError) as caught:
        validate_iban(iban, location="creditor_iban")
    assert caught.value.code == "invalid_iban"
    assert caught.value.element == "creditor_iban"
    assert not is_valid_iban(iban)


def test_a_bic_of_eight_or_eleven_characters_is_accepted():
    assert validate_bic("deutdeff") == "DEUTDEFF"
    assert validate_bic("POFICHBEXXX") == "POFICHBEXXX"


@pytest.mark.parametrize("bic", ["DEUTDEF", "DEUT1EFF", "DEUTXXFF", "DEUTDEFFXX"])
def test_a_malformed_bic_is_refused(bic):
    with pytest.raises(DocumentError) as caught:
        validate_bic(bic)
    assert caught.value.code == "invalid_bic"
    assert not is_valid_bic(bic)


def test_the_iso_11649_example_reference_is_created_and_validated():
    assert create_rf_reference("5390 0754 7034") == "RF18539007547034"
    assert validate_rf_reference("rf18 5390 0754 7034") == "RF18539007547034"
    assert format_rf_reference("RF18539007547034") == "RF18 5390 0754 7034"


def test_an_rf_reference_with_wrong_check_digits_is_refused():
    with pytest.raises(DocumentError) as caught:
        validate_rf_reference("RF19539007547034")
    assert caught.value.code == "invalid_creditor_reference"
    assert "check digits" in caught.value.message


@pytest.mark.parametrize("body", ["", "ABC-123", "A" * 22])
def test_an_rf_body_must_be_one_to_twenty_one_letters_or_digits(body):
    with pytest.raises(DocumentError):
        create_rf_reference(body)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=21))
def test_every_created_rf_reference_validates_and_a_changed_digit_does_not(body):
    ref = create_rf_reference(body)
    assert is_valid_rf_reference(ref)
    wrong = ref[:2] + f"{(int(ref[2:4]) + 1) % 100:02d}" + ref[4:]
    assert not is_valid_rf_reference(wrong)


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(123456, "EUR", "1234.56"), (5, "EUR", "0.05"), (1234, "JPY", "1234"), (1, "KWD", "0.001")],
)
def test_minor_units_are_written_with_the_currency_exponent(minor, currency, text):
    assert format_amount(minor, currency) == text
    assert parse_amount(text, currency) == minor


def test_extra_zero_decimals_are_accepted_but_extra_digits_are_not_rounded():
    assert parse_amount("50.000", "NOK") == 5000
    with pytest.raises(DocumentError) as caught:
        parse_amount("0.005", "EUR")
    assert caught.value.code == "amount_precision"


@pytest.mark.parametrize("text", ["1e3", "1,000.00", "abc", "", "NaN", "1.2.3"])
def test_amount_text_that_is_not_a_plain_decimal_is_refused(text):
    with pytest.raises(DocumentError) as caught:
        parse_amount(text, "EUR")
    assert caught.value.code == "invalid_amount"


def test_an_unknown_currency_is_refused():
    with pytest.raises(DocumentError) as caught:
        parse_amount("1.00", "XYZ")
    assert caught.value.code == "invalid_currency"


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(["EUR", "JPY", "KWD", "CHF", "CLF"]),
)
def test_formatting_then_parsing_an_amount_gives_back_the_same_minor_units(minor, currency):
    assert parse_amount(format_amount(minor, currency), currency) == minor
