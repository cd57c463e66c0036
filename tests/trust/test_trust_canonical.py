"""Canonical encoding: one byte string per value, and nothing else decodes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openscf.trust import CanonicalEncodingError, canonical_bytes, decode_canonical


def test_keys_are_sorted_and_there_is_no_whitespace() -> None:
    assert canonical_bytes({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'


def test_keys_sort_by_code_point_not_by_locale_or_case() -> None:
    assert canonical_bytes({"b": 0, "B": 0, "é": 0, "a": 0}) == '{"B":0,"a":0,"b":0,"é":0}'.encode()


def test_non_ascii_text_is_written_as_utf8_not_escaped() -> None:
    assert canonical_bytes("Zürich") == '"Zürich"'.encode()


@pytest.mark.parametrize("value", [1.0, 0.1, float("nan"), float("inf"), {"rate": 2.5}, [1, 2.0]])
def test_floats_are_refused(value: object) -> None:
    with pytest.raises(CanonicalEncodingError):
        canonical_bytes(value)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, {1: "non-string key"}, b"bytes", {1, 2}])
def test_values_without_a_canonical_form_are_refused(value: object) -> None:
    with pytest.raises(CanonicalEncodingError):
        canonical_bytes(value)


def test_the_signed_64_bit_bounds_are_accepted() -> None:
    assert decode_canonical(canonical_bytes([2**63 - 1, -(2**63)])) == [2**63 - 1, -(2**63)]


@pytest.mark.parametrize(
    "data",
    [
        b'{"b":1,"a":2}',  # keys out of order
        b'{"a": 1}',  # whitespace
        b'{"a":1,"a":1}',  # duplicate key
        b"1.0",  # float
        b"1e3",  # exponent
        b"-0",  # negative zero
        b"01",  # leading zero
        b'"\\u00e9"',  # escaped where UTF-8 is canonical
        b'"\\/"',  # needless escape
        b"NaN",
        b"\xff",  # not UTF-8
        b"[1,]",  # not JSON
        b"9223372036854775808",  # beyond signed 64-bit
        b" 1",
    ],
)
def test_non_canonical_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(CanonicalEncodingError):
        decode_canonical(data)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text(alphabet=st.characters(codec="utf-8")),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet=st.characters(codec="utf-8")), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_json)
def test_every_value_round_trips_and_re_encodes_to_the_same_bytes(value: object) -> None:
    data = canonical_bytes(value)
    assert decode_canonical(data) == value
    assert canonical_bytes(decode_canonical(data)) == data


# Hostile input never escapes as anything but the canonical error.


def test_a_lone_surrogate_is_refused_with_the_canonical_error() -> None:
    with pytest.raises(CanonicalEncodingError):
        decode_canonical(b'"\\ud800"')


def test_a_huge_integer_literal_is_refused_with_the_canonical_error() -> None:
    with pytest.raises(CanonicalEncodingError):
        decode_canonical(b"1" * 5000)


def test_deeply_nested_input_is_refused_with_the_canonical_error() -> None:
    with pytest.raises(CanonicalEncodingError):
        decode_canonical(b"[" * 100_000 + b"]" * 100_000)


def test_the_canonical_error_is_a_trust_error() -> None:
    from openscf.trust import TrustError

    assert issubclass(CanonicalEncodingError, TrustError)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"a": [1, {"b": 1.5}]}, "$.a[1].b"),
        ({"x": {"y": [0, 2**70]}}, "$.x.y[1]"),
        ({"k": {1: 2}}, "$.k"),
        ([{"s": "\udc80"}], "$[0].s"),
    ],
)
def test_a_refusal_names_the_path_of_the_bad_value(value: object, path: str) -> None:
    with pytest.raises(CanonicalEncodingError) as err:
        canonical_bytes(value)
    assert str(err.value).endswith(f"at {path}") or f"at {path} " in str(err.value)
