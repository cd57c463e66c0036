"""Invoice-number keys on the hard cases: the exact key says when two numbers are one
invoice; the loose key finds the same number in disguise, and never decides identity."""

from __future__ import annotations

import pytest

from openscf.domain.invoice_number import exact_invoice_number_key, loose_invoice_number_key

FULL_WIDTH_INV_1 = "\uff29\uff2e\uff36\uff0d\uff11"  # "INV-1" in full-width forms
CYRILLIC_I_NV_1 = "\u0406NV-1"  # "INV-1" with a Cyrillic capital I
GREEK_KAPPA_OMICRON = "\u039a\u039f-7"  # "KO-7" in Greek capitals


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("inv-1", "INV-1"),  # case
        ("  INV-1 ", "INV-1"),  # white space at either end
        (FULL_WIDTH_INV_1, "INV-1"),  # Unicode compatibility forms
    ],
)
def test_the_exact_key_treats_presentation_as_the_same_invoice(a, b):
    assert exact_invoice_number_key(a) == exact_invoice_number_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("2024-1", "2024-01"),  # leading zeros are significant
        ("INV-1", "INV1"),  # so are dashes
        ("INV 1", "INV1"),  # and inner spaces
        (CYRILLIC_I_NV_1, "INV-1"),  # a look-alike letter is another character
    ],
)
def test_the_exact_key_keeps_apart_what_a_seller_may_really_issue(a, b):
    assert exact_invoice_number_key(a) != exact_invoice_number_key(b)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("inv-000123", "INV123"),
        ("INV 123", "INV123"),
        ("2024/0001", "20241"),
        ("2024-1", "20241"),
        ("000", "0"),
        ("100", "100"),
        (FULL_WIDTH_INV_1, "INV1"),
        (CYRILLIC_I_NV_1, "INV1"),
        (GREEK_KAPPA_OMICRON, "KO7"),
    ],
)
def test_the_loose_key_sees_through_case_punctuation_zeros_and_look_alikes(raw, key):
    assert loose_invoice_number_key(raw) == key


def test_numbers_equal_by_the_exact_key_are_equal_by_the_loose_key():
    for a, b in [("inv-1", "INV-1"), (FULL_WIDTH_INV_1, " INV-1"), ("x 9", "X 9")]:
        assert exact_invoice_number_key(a) == exact_invoice_number_key(b)
        assert loose_invoice_number_key(a) == loose_invoice_number_key(b)
