"""Ed25519 keys: generate, encode, sign and verify bytes, and which key was in force when.

Every event is signed by the organisation that made it, over the event's canonical bytes
(`openscf.trust.canonical`). An organisation rotates keys over time, so a signature is
checked against the key that was *in force* for that organisation at the instant the log
recorded the event (`key_in_force`), never against "the current key".

A private key is held as its 32-byte RFC 8032 seed; a public key as its 32-byte RFC 8032
encoding. Text form of a public key: ``ed25519:`` followed by standard base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import (
    InvalidSignatureError,
    KeyFormatError,
    KeyNotInForceError,
    KeyRecordError,
    SignatureSizeError,
)

__all__ = [
    "ED25519_PUBLIC_KEY_SIZE",
    "ED25519_SEED_SIZE",
    "ED25519_SIGNATURE_SIZE",
    "PUBLIC_KEY_PREFIX",
    "KeyRecord",
    "SigningKey",
    "decode_public_key",
    "encode_public_key",
    "generate_signing_key",
    "key_in_force",
    "keys_in_force",
    "public_key_fingerprint",
    "verify_signature",
    "verify_signed_by",
]

ED25519_SEED_SIZE = 32
ED25519_PUBLIC_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
PUBLIC_KEY_PREFIX = "ed25519:"


def b64encode(data: bytes) -> str:
    """Standard base64 (RFC 4648 section 4) with padding."""
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: str) -> bytes:
    """Decode standard base64, accepting only the canonical encoding.

    Why canonical only: `base64.b64decode` tolerates non-zero padding bits, so several
    strings decode to the same bytes; a signed format must have one spelling per value.
    Raises `binascii.Error` (a ValueError) for anything else; callers wrap it.
    """
    if not text.isascii():
        raise binascii.Error("non-ASCII character in base64")
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode("ascii") != text:
        raise binascii.Error("non-canonical base64")
    return data


def _check_public_key(public_key: bytes) -> None:
    if len(public_key) != ED25519_PUBLIC_KEY_SIZE:
        raise KeyFormatError(
            f"Ed25519 public key is {len(public_key)} bytes, want {ED25519_PUBLIC_KEY_SIZE}"
        )


@lru_cache(maxsize=1024)
def _load_public_key(public_key: bytes) -> Ed25519PublicKey:
    # Why cache: an auditor's replay verifies thousands of events per organisation key,
    # and parsing the point each time is wasted work.
    try:
        return Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise KeyFormatError(f"not an Ed25519 public key: {exc}") from exc


class SigningKey:
    """An Ed25519 private key. Its repr never shows the seed."""

    __slots__ = ("_private", "_public")

    def __init__(self, seed: bytes) -> None:
        """Wrap a 32-byte RFC 8032 seed (`KeyFormatError` for any other length)."""
        if len(seed) != ED25519_SEED_SIZE:
            raise KeyFormatError(f"Ed25519 seed is {len(seed)} bytes, want {ED25519_SEED_SIZE}")
        self._private = Ed25519PrivateKey.from_private_bytes(bytes(seed))
        self._public = self._private.public_key().public_bytes_raw()

    @classmethod
    def generate(cls) -> SigningKey:
        """A new random key (from the operating system's CSPRNG, via `cryptography`)."""
        return cls(Ed25519PrivateKey.generate().private_bytes_raw())

    @property
    def seed(self) -> bytes:
        """The 32-byte secret seed: handle with care, never log it."""
        return self._private.private_bytes_raw()

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key."""
        return self._public

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (deterministic, RFC 8032)."""
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"SigningKey(public_key={encode_public_key(self._public)!r})"


def generate_signing_key() -> SigningKey:
    """A new random Ed25519 signing key."""
    return SigningKey.generate()


def encode_public_key(public_key: bytes) -> str:
    """``ed25519:<base64>`` text form of a 32-byte public key."""
    _check_public_key(public_key)
    return PUBLIC_KEY_PREFIX + b64encode(public_key)


def decode_public_key(text: str) -> bytes:
    """Parse the text form of `encode_public_key`; `KeyFormatError` if it is anything else."""
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise KeyFormatError(f"public key must start with {PUBLIC_KEY_PREFIX!r}")
    try:
        key = b64decode_strict(text[len(PUBLIC_KEY_PREFIX) :])
    except ValueError as exc:
        raise KeyFormatError(f"public key is not canonical base64: {exc}") from exc
    _check_public_key(key)
    return key


def public_key_fingerprint(public_key: bytes) -> str:
    """Lowercase hex SHA-256 of the public key: a stable handle that is not the key itself."""
    _check_public_key(public_key)
    return hashlib.sha256(public_key).hexdigest()


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Check an Ed25519 signature; return None or raise.

    Raises `KeyFormatError` for a public key that is not 32 bytes (or not a key),
    `SignatureSizeError` for a signature that is not 64 bytes, and
    `InvalidSignatureError` if the signature does not verify.
    """
    _check_public_key(public_key)
    if len(signature) != ED25519_SIGNATURE_SIZE:
        raise SignatureSizeError(
            f"Ed25519 signature is {len(signature)} bytes, want {ED25519_SIGNATURE_SIZE}"
        )
    try:
        _load_public_key(bytes(public_key)).verify(bytes(signature), message)
    except InvalidSignature:
        raise InvalidSignatureError("Ed25519 signature does not verify") from None


# --- key records and key validity windows -------------------------------------------------


def _aware(value: datetime | None) -> bool:
    return value is None or (value.tzinfo is not None and value.utcoffset() is not None)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A public key an organisation registered, with the window in which it was in force.

    The window is half-open: ``valid_from <= t < end``, where ``end`` is the earlier of
    ``rotated_at`` (a successor key took over; routine) and ``revoked_at`` (the key was
    withdrawn, e.g. suspected compromise). Both close the window the same way for
    verification: the log, not the signer, timestamps events, so a signature the log
    recorded before the window closed stays valid, and none after it is accepted. They
    are kept apart because an auditor treats a revocation as an incident and a rotation
    as hygiene. All datetimes must be timezone-aware.
    """

    key_id: str
    org_id: str
    public_key: bytes
    valid_from: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        _check_public_key(self.public_key)
        if not (_aware(self.valid_from) and _aware(self.rotated_at) and _aware(self.revoked_at)):
            raise KeyRecordError(f"key {self.key_id}: datetimes must be timezone-aware")
        end = self.ends_at
        if end is not None and end <= self.valid_from:
            raise KeyRecordError(f"key {self.key_id}: window ends at or before it starts")

    @property
    def ends_at(self) -> datetime | None:
        """The first instant the key is no longer in force, or None if still open."""
        ends = [t for t in (self.rotated_at, self.revoked_at) if t is not None]
        return min(ends) if ends else None

    def in_force_at(self, at: datetime) -> bool:
        """Whether the key was in force at instant ``at`` (timezone-aware)."""
        if not _aware(at):
            raise KeyRecordError("the instant must be timezone-aware")
        end = self.ends_at
        return self.valid_from <= at and (end is None or at < end)


def keys_in_force(keys: Iterable[KeyRecord], org_id: str, at: datetime) -> list[KeyRecord]:
    """All of ``org_id``'s keys in force at ``at``, newest ``valid_from`` first.

    Several keys can overlap if an organisation allows a grace period during rotation.
    """
    found = [key for key in keys if key.org_id == org_id and key.in_force_at(at)]
    found.sort(key=lambda key: (key.valid_from, key.key_id), reverse=True)
    return found


def key_in_force(keys: Iterable[KeyRecord], org_id: str, at: datetime) -> KeyRecord:
    """The key of ``org_id`` in force at ``at``: the newest one if windows overlap.

    Raises `KeyNotInForceError` if the organisation had no key in force then.
    """
    found = keys_in_force(keys, org_id, at)
    if not found:
        raise KeyNotInForceError(f"organisation {org_id} had no key in force at {at.isoformat()}")
    return found[0]


def verify_signed_by(
    keys: Iterable[KeyRecord], org_id: str, at: datetime, message: bytes, signature: bytes
) -> KeyRecord:
    """Check that ``signature`` over ``message`` is by a key of ``org_id`` in force at ``at``.

    Returns the key that verified. Raises `KeyNotInForceError` if no key was in force, or
    the error of the newest in-force key (`InvalidSignatureError` or a subclass) if none
    of the in-force keys verifies.
    """
    candidates = keys_in_force(keys, org_id, at)
    if not candidates:
        raise KeyNotInForceError(f"organisation {org_id} had no key in force at {at.isoformat()}")
    first_error: InvalidSignatureError | None = None
    for key in candidates:
        try:
            verify_signature(key.public_key, message, signature)
        except InvalidSignatureError as exc:
            first_error = first_error or exc
            continue
        return key
    assert first_error is not None
    raise first_error
