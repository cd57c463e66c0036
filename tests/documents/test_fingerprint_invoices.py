"""Invoice fingerprints: normalisation, SHA-256 and HMAC, files, near duplicates."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openscf.documents.errors import DocumentError
from openscf.documents.fingerprint import (
    FingerprintIndex,
    InvoiceKey,
    NearDuplicateRules,
    edit_distance_at_most_one,
    export_fingerprints,
    find_near_duplicates,
    fingerprint,
    import_fingerprints,
    key_from_invoice,
    keyed_fingerprint,
)
from openscf.documents.invoice import NormalisedInvoice, Party, PartyId
from openscf.domain.invoice_number import loose_invoice_number_key

SECRET = b"k" * 32
OTHER_SECRET = b"q" * 32


def key(number: str = "INV-1001", **changes: object) -> InvoiceKey:
    base = InvoiceKey(
        seller_id="0216:0037123456",
        buyer_id="0183:CHE123456789",
        number=number,
        amount_minor=125_000,
        currency="EUR",
        issue_date=date(2025, 1, 15),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("inv-000123", "INV123"),
        ("INV 123", "INV123"),
        ("2024/0001", "20241"),
        ("2024-1", "20241"),
        ("A.0012.b", "A12B"),
        ("000", "0"),
        ("100", "100"),
        ("\uff29\uff2e\uff36\uff11\uff12", "INV12"),
    ],
)
def test_invoice_numbers_are_normalised_case_punctuation_and_leading_zeros_away(raw, normalised):
    assert loose_invoice_number_key(raw) == normalised


def test_the_fingerprint_is_sha256_hex_and_ignores_number_and_party_formatting():
    fp = fingerprint(key())
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert fingerprint(key("inv 0001001", seller_id="0216:0037 123 456")) == fp


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_minor": 125_001},
        {"currency": "CHF"},
        {"issue_date": date(2025, 1, 16)},
        {"seller_id": "0216:0037123457"},
        {"buyer_id": "0183:CHE123456780"},
        {"number": "INV-1002"},
    ],
)
def test_changing_any_identifying_field_changes_the_fingerprint(changes):
    assert fingerprint(replace(key(), **changes)) != fingerprint(key())


def test_fields_cannot_bleed_into_each_other_in_the_canonical_encoding():
    a = key(seller_id="AB", buyer_id="C")
    b = key(seller_id="A", buyer_id="BC")
    assert fingerprint(a) != fingerprint(b)


def test_the_keyed_fingerprint_depends_on_the_secret_and_refuses_short_secrets():
    assert keyed_fingerprint(key(), SECRET) != keyed_fingerprint(key(), OTHER_SECRET)
    assert keyed_fingerprint(key(), SECRET) != fingerprint(key())
    with pytest.raises(DocumentError) as caught:
        keyed_fingerprint(key(), b"short")
    assert caught.value.code == "weak_fingerprint_key"


def test_the_key_of_a_normalised_invoice_uses_legal_ids_and_the_payable_amount():
    seller = Party(name="S", legal_id=PartyId("0037123456", "0216"), vat_id="FI37123456")
    buyer = Party(name="B", vat_id="CHE-123.456.789 MWST")
    invoice = NormalisedInvoice(
        kind="invoice",
        syntax="ubl",
        number="INV-1001",
        issue_date=date(2025, 1, 15),
        due_date=None,
        currency="EUR",
        seller=seller,
        buyer=buyer,
        line_total_minor=100_000,
        tax_exclusive_minor=100_000,
        tax_minor=25_000,
        tax_inclusive_minor=125_000,
        payable_minor=120_000,
        lines=(),
    )
    derived = key_from_invoice(invoice)
    assert derived.seller_id == "0216:0037123456"
    assert derived.buyer_id == "VAT:CHE-123.456.789 MWST"
    assert derived.amount_minor == 120_000
    with pytest.raises(DocumentError) as caught:
        key_from_invoice(replace(invoice, buyer=Party(name="Nobody")))
    assert caught.value.code == "missing_party_id"


def test_an_exported_file_holds_only_version_key_id_and_fingerprints_and_reads_back():
    keys = [key("INV-1"), key("INV-2"), key("inv 0001")]
    text = export_fingerprints(keys, secret=SECRET, key_id="registry-2025")
    lines = [json.loads(x) for x in text.splitlines()]
    assert len(lines) == 2  # INV-1 and "inv 0001" are the same invoice
    assert all(set(x) == {"version", "key_id", "fingerprint"} for x in lines)
    assert "INV" not in text and "125000" not in text
    assert [x["fingerprint"] for x in lines] == sorted(x["fingerprint"] for x in lines)
    loaded = import_fingerprints(text, expected_key_id="registry-2025")
    assert loaded.key_id == "registry-2025"
    assert loaded.fingerprints == {keyed_fingerprint(k, SECRET) for k in keys}


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ('{"version":2,"key_id":"k1","fingerprint":"' + "a" * 64 + '"}', "unsupported_version"),
        ('{"version":1,"key_id":"k2","fingerprint":"' + "a" * 64 + '"}', "key_id_mismatch"),
        ('{"version":1,"key_id":"k1","fingerprint":"' + "A" * 64 + '"}', "invalid_fingerprint"),
        (
            '{"version":1,"key_id":"k1","fingerprint":"' + "a" * 64 + '","number":"INV-1"}',
            "invalid_fingerprint_line",
        ),
        ("not json", "invalid_json"),
    ],
)
def test_a_bad_line_in_a_fingerprint_file_is_refused_naming_its_line(line, code):
    good = '{"version":1,"key_id":"k1","fingerprint":"' + "b" * 64 + '"}'
    with pytest.raises(DocumentError) as caught:
        import_fingerprints(good + "\n" + line + "\n", source="peer.jsonl")
    assert caught.value.code == code
    assert (caught.value.source, caught.value.line) == ("peer.jsonl", 2)


def test_an_unexpected_key_id_and_an_empty_file_are_refused():
    text = export_fingerprints([key()], secret=SECRET, key_id="k1")
    with pytest.raises(DocumentError):
        import_fingerprints(text, expected_key_id="k9")
    with pytest.raises(DocumentError) as caught:
        import_fingerprints("")
    assert caught.value.code == "empty_file"


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("INV1", "INV1", True),
        ("INV1", "INV2", True),
        ("INV1", "INV12", True),
        ("INV12", "INV1", True),
        ("INV12", "INV21", False),
        ("INV1", "IN", False),
        ("", "A", True),
    ],
)
def test_edit_distance_one_allows_one_insertion_deletion_or_substitution(a, b, close):
    assert edit_distance_at_most_one(a, b) is close


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@given(st.text(alphabet="AB12", max_size=6), st.text(alphabet="AB12", max_size=6))
def test_the_fast_edit_distance_check_agrees_with_levenshtein(a, b):
    assert edit_distance_at_most_one(a, b) is (_levenshtein(a, b) <= 1)


def test_an_identical_invoice_is_an_exact_duplicate():
    index = FingerprintIndex()
    index.add("inv_1", key())
    (hit,) = index.check(key("inv 1001"))
    assert (hit.existing_ref, hit.reasons) == ("inv_1", ("exact_duplicate",))
    assert index.exact(key()) == "inv_1"


def test_a_number_one_edit_away_is_flagged_with_its_reasons():
    index = FingerprintIndex()
    index.add("inv_1", key("INV-1001"))
    (hit,) = index.check(key("INV-1007", amount_minor=900, issue_date=date(2025, 6, 1)))
    assert hit.reasons == ("number_one_edit_away",)
    (close,) = index.check(key("INV-10011"))
    assert close.reasons == (
        "number_one_edit_away",
        "amount_within_tolerance",
        "date_within_tolerance",
    )


def test_the_same_number_is_flagged_when_amount_or_date_is_close_but_not_when_neither_is():
    index = FingerprintIndex()
    index.add("inv_1", key())
    (amount_hit,) = index.check(key(amount_minor=126_000, issue_date=date(2025, 3, 1)))
    assert amount_hit.reasons == ("same_number", "amount_within_tolerance")
    (date_hit,) = index.check(key(amount_minor=200_000, issue_date=date(2025, 1, 18)))
    assert date_hit.reasons == ("same_number", "date_within_tolerance")
    assert index.check(key(amount_minor=200_000, issue_date=date(2025, 1, 19))) == []
    assert index.check(key(amount_minor=126_300, issue_date=date(2025, 3, 1))) == []


def test_the_amount_rule_needs_the_same_currency():
    index = FingerprintIndex()
    index.add("inv_1", key())
    assert index.check(key(currency="CHF", issue_date=date(2025, 3, 1))) == []


def test_invoices_between_other_parties_are_never_compared():
    index = FingerprintIndex()
    index.add("inv_1", key())
    assert index.check(key(buyer_id="0183:CHE999999999")) == []
    assert index.check(key(seller_id="0216:0000000001")) == []


def test_sequential_numbers_can_require_a_close_amount_or_date_as_well():
    rules = NearDuplicateRules(similar_number_needs_amount_or_date=True)
    existing = [("inv_1", key("INV-1001"))]
    far = key("INV-1002", amount_minor=5_000, issue_date=date(2025, 5, 1))
    assert find_near_duplicates(far, existing, rules) == []
    assert find_near_duplicates(far, existing) != []


def test_a_large_index_finds_the_one_duplicate_among_twenty_thousand_invoices():
    # Its speed is a benchmark's business (bench/documents.py), not a timed test's.
    index = FingerprintIndex()
    start = date(2024, 1, 1)
    for n in range(20_000):
        index.add(
            f"inv_{n}",
            key(
                f"INV-{n:06d}",
                seller_id=f"S{n % 200}",
                amount_minor=10_000 + n,
                issue_date=start + timedelta(days=n % 365),
            ),
        )
    assert all(
        index.check(key(f"X-{n}", seller_id=f"S{n % 200}", amount_minor=7)) == []
        for n in range(200)
    )
    hits = index.check(key("INV-000042", seller_id="S42", amount_minor=10_042))
    assert hits[0].existing_ref == "inv_42"
