"""IBAN and BIC checks, ISO 11649 RF creditor references (amounts: tests/domain/test_money)."""

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
