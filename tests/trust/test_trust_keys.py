"""Ed25519 keys, signatures over arbitrary bytes, and which key was in force when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openscf.trust import (
    InvalidSignatureError,
    KeyFormatError,
    KeyNotInForceError,
    KeyRecord,
    KeyRecordError,
    SignatureSizeError,
    SigningKey,
    canonical_bytes,
    decode_public_key,
    encode_public_key,
    generate_signing_key,
    key_in_force,
    keys_in_force,
    public_key_fingerprint,
    verify_signature,
    verify_signed_by,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
OLD_KEY = SigningKey(bytes(range(32)))
NEW_KEY = SigningKey(bytes(range(1, 33)))
EVENT = canonical_bytes({"v": 1, "type": "ReceivableIssued", "face": 100_00})

OLD = KeyRecord("key_old", "org_a", OLD_KEY.public_key, T0, rotated_at=T0 + timedelta(days=30))
NEW = KeyRecord("key_new", "org_a", NEW_KEY.public_key, T0 + timedelta(days=30))
OTHER_ORG = KeyRecord("key_b", "org_b", NEW_KEY.public_key, T0)
KEYS = [OLD, NEW, OTHER_ORG]


def test_a_signature_over_canonical_event_bytes_verifies() -> None:
    verify_signature(OLD_KEY.public_key, EVENT, OLD_KEY.sign(EVENT))


def test_a_signature_over_other_bytes_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        verify_signature(OLD_KEY.public_key, EVENT + b" ", OLD_KEY.sign(EVENT))


def test_a_signature_by_another_key_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        verify_signature(NEW_KEY.public_key, EVENT, OLD_KEY.sign(EVENT))


def test_a_signature_of_the_wrong_size_is_rejected() -> None:
    with pytest.raises(SignatureSizeError):
        verify_signature(OLD_KEY.public_key, EVENT, OLD_KEY.sign(EVENT)[:63])


def test_a_public_key_of_the_wrong_size_is_rejected() -> None:
    with pytest.raises(KeyFormatError):
        verify_signature(OLD_KEY.public_key[:31], EVENT, OLD_KEY.sign(EVENT))
    with pytest.raises(KeyFormatError):
        SigningKey(bytes(31))


def test_signing_is_deterministic_and_generated_keys_differ() -> None:
    assert OLD_KEY.sign(EVENT) == OLD_KEY.sign(EVENT)
    assert SigningKey(OLD_KEY.seed).public_key == OLD_KEY.public_key
    assert generate_signing_key().public_key != generate_signing_key().public_key


def test_a_public_key_round_trips_through_its_text_form() -> None:
    text = encode_public_key(OLD_KEY.public_key)
    assert text.startswith("ed25519:")
    assert decode_public_key(text) == OLD_KEY.public_key
    assert len(public_key_fingerprint(OLD_KEY.public_key)) == 64


@pytest.mark.parametrize(
    "text",
    [
        "ed25519:",
        "x25519:" + encode_public_key(bytes(32)).split(":")[1],
        "ed25519:" + "A" * 43,  # unpadded
        "ed25519:" + "A" * 42 + "B=",  # non-canonical padding bits
        encode_public_key(bytes(32))[:-4] + "====",
    ],
)
def test_a_malformed_public_key_text_is_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        decode_public_key(text)


def test_the_key_in_force_follows_rotation() -> None:
    assert key_in_force(KEYS, "org_a", T0) is OLD
    assert key_in_force(KEYS, "org_a", T0 + timedelta(days=29, hours=23)) is OLD
    assert key_in_force(KEYS, "org_a", T0 + timedelta(days=30)) is NEW
    assert key_in_force(KEYS, "org_b", T0 + timedelta(days=400)) is OTHER_ORG


def test_no_key_is_in_force_before_the_first_one_or_after_revocation() -> None:
    with pytest.raises(KeyNotInForceError):
        key_in_force(KEYS, "org_a", T0 - timedelta(seconds=1))
    revoked = KeyRecord("k", "org_c", OLD_KEY.public_key, T0, revoked_at=T0 + timedelta(days=1))
    assert key_in_force([revoked], "org_c", T0) is revoked
    with pytest.raises(KeyNotInForceError):
        key_in_force([revoked], "org_c", T0 + timedelta(days=1))
    with pytest.raises(KeyNotInForceError):
        key_in_force(KEYS, "org_unknown", T0)


def test_the_window_closes_at_the_earlier_of_rotation_and_revocation() -> None:
    record = KeyRecord(
        "k",
        "o",
        OLD_KEY.public_key,
        T0,
        rotated_at=T0 + timedelta(days=5),
        revoked_at=T0 + timedelta(days=2),
    )
    assert record.ends_at == T0 + timedelta(days=2)
    assert not record.in_force_at(T0 + timedelta(days=3))


def test_overlapping_keys_prefer_the_newest() -> None:
    grace = KeyRecord(
        "key_grace", "org_a", OLD_KEY.public_key, T0, rotated_at=T0 + timedelta(days=40)
    )
    at = T0 + timedelta(days=35)
    assert key_in_force([grace, NEW], "org_a", at) is NEW
    assert keys_in_force([grace, NEW], "org_a", at) == [NEW, grace]


def test_a_signature_is_checked_against_the_key_in_force_when_it_was_logged() -> None:
    at_old = T0 + timedelta(days=1)
    assert verify_signed_by(KEYS, "org_a", at_old, EVENT, OLD_KEY.sign(EVENT)) is OLD
    # After rotation the old key's signature no longer counts.
    with pytest.raises(InvalidSignatureError):
        verify_signed_by(KEYS, "org_a", T0 + timedelta(days=31), EVENT, OLD_KEY.sign(EVENT))
    with pytest.raises(KeyNotInForceError):
        verify_signed_by(KEYS, "org_a", T0 - timedelta(days=1), EVENT, OLD_KEY.sign(EVENT))


def test_naive_datetimes_and_backwards_windows_are_refused() -> None:
    with pytest.raises(KeyRecordError):
        KeyRecord("k", "o", OLD_KEY.public_key, datetime(2025, 1, 1))
    with pytest.raises(KeyRecordError):
        KeyRecord("k", "o", OLD_KEY.public_key, T0, rotated_at=T0)
    with pytest.raises(KeyRecordError):
        key_in_force(KEYS, "org_a", datetime(2025, 1, 1))
    with pytest.raises(KeyFormatError):
        KeyRecord("k", "o", b"short", T0)


def test_a_signing_key_repr_shows_only_the_public_key() -> None:
    assert OLD_KEY.seed.hex() not in repr(OLD_KEY)
    assert encode_public_key(OLD_KEY.public_key) in repr(OLD_KEY)
