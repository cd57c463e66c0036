"""Money, ids, calendars: the small pure pieces everything else stands on."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openscf.domain.calendar import is_business_day, modified_following
from openscf.domain.errors import InvalidRequest
from openscf.domain.ids import check_id, is_id, make_id
from openscf.domain.money import MAX_AMOUNT_MINOR, allocate, check_amount
from openscf.domain.pricing import parse_rate
from openscf.domain.validation import check_bic, check_iban, make_iban


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "amount_not_positive"),
        (-1, "amount_not_positive"),
        (MAX_AMOUNT_MINOR + 1, "amount_too_large"),
        (True, "invalid_amount"),
    ],
)
def test_amount_checks_name_the_problem(amount: int, code: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        check_amount(amount)
    assert info.value.code == code


@given(st.integers(0, 10**15), st.lists(st.integers(1, 10**6), min_size=1, max_size=30))
def test_allocation_always_sums_exactly_to_the_whole(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    assert allocate(total, weights) == parts  # deterministic


def test_allocation_gives_the_remainder_to_the_largest_fractions_first() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [1, 2]) == [3, 7]


def test_ids_are_prefixed_and_sort_by_time() -> None:
    earlier = make_id("rcv", 1_700_000_000_000, b"\xff" * 10)
    later = make_id("rcv", 1_700_000_000_001, b"\x00" * 10)
    assert earlier.startswith("rcv_") and len(earlier) == 30
    assert earlier < later
    assert is_id("rcv", earlier) and not is_id("org", earlier)
    with pytest.raises(InvalidRequest) as info:
        check_id("rcv", "rcv_has space", "receivable_id")
    assert info.value.code == "invalid_id"


def test_modified_following_rolls_forward_within_the_month() -> None:
    # Sunday 2026-03-01 -> Monday 2 March
    assert modified_following(date(2026, 3, 1), "DE") == date(2026, 3, 2)


def test_modified_following_rolls_back_at_a_month_end() -> None:
    # Saturday 2026-02-28: the next business day is in March, so Friday 27 February.
    assert modified_following(date(2026, 2, 28), "DE") == date(2026, 2, 27)


def test_public_holidays_are_not_business_days() -> None:
    assert not is_business_day(date(2026, 12, 25), "DE")
    assert not is_business_day(date(2026, 5, 1), "TARGET")
    assert not is_business_day(date(2026, 7, 3), "US")  # Independence Day observed
    assert is_business_day(date(2026, 7, 3), "DE")


def test_rates_are_decimal_fractions_between_zero_and_one() -> None:
    assert str(parse_rate("0.045")) == "0.045"
    for bad in ("0", "-0.01", "1.5", "NaN", "abc"):
        with pytest.raises(InvalidRequest):
            parse_rate(bad)


def test_ibans_and_bics_are_checked() -> None:
    assert check_iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    with pytest.raises(InvalidRequest):
        check_iban("DE89370400440532013001")
    assert make_iban("DE", "370400440532013000") == "DE89370400440532013000"
    assert check_iban(make_iban("GB", "WEST12345698765432")) == "GB82WEST12345698765432"
    assert check_bic("cobadeffxxx") == "COBADEFFXXX"
    with pytest.raises(InvalidRequest):
        check_bic("COBADE")
