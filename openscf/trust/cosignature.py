"""C2SP tlog-cosignature, Ed25519 flavour (cosignature/v1, signature type 0x04).

A witness (for openscf: a funder or an auditor) that has checked a checkpoint is
consistent with everything it saw before adds a timestamped cosignature to it. The note
signature is ``base64(key id || timestamp (u64 big-endian) || Ed25519 signature)`` and the
signed message is::

    cosignature/v1
    time <timestamp, decimal, no leading zeros>
    <the whole checkpoint note text, extension lines included>

The key id is ``SHA-256(name || 0x0A || 0x04 || public key)[:4]``: the 0x04 type byte
separates cosignatures from plain Ed25519 note signatures (0x01) made with the same key.

Timestamps are POSIX seconds passed in by the caller: this module never reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .checkpoint import Checkpoint, parse_checkpoint
from .errors import (
    CosignatureTimestampError,
    InvalidSignatureError,
    MalformedCosignatureError,
    SignatureSizeError,
)
from .keys import ED25519_SIGNATURE_SIZE, SigningKey, verify_signature
from .note import (
    Ed25519KeyVerifier,
    Note,
    NoteSignature,
    NoteSigner,
    format_note,
    key_id,
    parse_note,
)

__all__ = [
    "COSIGNATURE_HEADER",
    "COSIGNATURE_SIZE",
    "MAX_TIMESTAMP",
    "SIGNATURE_TYPE_COSIGNATURE_V1",
    "Cosignature",
    "CosignatureSigner",
    "CosignatureVerifier",
    "add_cosignatures",
    "cosignatures_in",
    "cosigned_message",
    "parse_cosignature",
    "verify_cosignature",
]

SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04
COSIGNATURE_HEADER = "cosignature/v1"
MAX_TIMESTAMP = 2**63 - 1
COSIGNATURE_SIZE = 8 + ED25519_SIGNATURE_SIZE


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureTimestampError(f"timestamp {timestamp} is not in [0, 2^63-1]")


def cosigned_message(checkpoint_text: str | bytes, timestamp: int) -> bytes:
    """The exact bytes a cosigner signs for ``checkpoint_text`` at ``timestamp``.

    Preconditions: ``0 <= timestamp <= 2**63 - 1`` (`CosignatureTimestampError`);
    ``checkpoint_text`` is the note text, final newline included (not checked here).
    """
    _check_timestamp(timestamp)
    body = checkpoint_text.encode("utf-8") if isinstance(checkpoint_text, str) else checkpoint_text
    return f"{COSIGNATURE_HEADER}\ntime {timestamp}\n".encode("ascii") + bytes(body)


@dataclass(frozen=True, slots=True)
class Cosignature:
    """One Ed25519 cosignature: who (name, key id), when (timestamp) and the signature."""

    name: str
    key_id: int
    timestamp: int
    signature: bytes

    def __post_init__(self) -> None:
        _check_timestamp(self.timestamp)
        if len(self.signature) != ED25519_SIGNATURE_SIZE:
            raise SignatureSizeError(f"cosignature is {len(self.signature)} bytes, want 64")

    def to_note_signature(self) -> NoteSignature:
        """As a note signature (the 8-byte timestamp leads the signature bytes)."""
        return NoteSignature(
            self.name, self.key_id, self.timestamp.to_bytes(8, "big") + self.signature
        )

    def line(self) -> str:
        """The note signature line, newline included."""
        return self.to_note_signature().line()


def parse_cosignature(signature: NoteSignature) -> Cosignature:
    """Read a note signature as a cosignature (no verification).

    Raises `MalformedCosignatureError` unless the bytes are exactly 8 + 64 long, and
    `CosignatureTimestampError` if the timestamp exceeds 2^63-1.
    """
    raw = signature.signature
    if len(raw) != COSIGNATURE_SIZE:
        raise MalformedCosignatureError(
            f"cosignature by {signature.name} is {len(raw)} bytes, want {COSIGNATURE_SIZE}"
        )
    return Cosignature(signature.name, signature.key_id, int.from_bytes(raw[:8], "big"), raw[8:])


class CosignatureVerifier(Ed25519KeyVerifier):
    """Verifies cosignature/v1 signatures of one cosigner; usable as a `NoteVerifier`.

    Construction, key id and vkey handling are `Ed25519KeyVerifier`'s, with type 0x04.
    """

    __slots__ = ()
    KEY_TYPE = SIGNATURE_TYPE_COSIGNATURE_V1
    ROLE = "cosigner key"

    def verify(self, message: bytes, signature: bytes) -> None:
        """`NoteVerifier` hook: ``message`` is the note text, ``signature`` timestamp || sig.

        Raises `SignatureSizeError` unless 72 bytes, `CosignatureTimestampError` for a
        timestamp beyond 2^63-1, `InvalidSignatureError` if the signature fails.
        """
        if len(signature) != COSIGNATURE_SIZE:
            raise SignatureSizeError(f"cosignature is {len(signature)} bytes, want 72")
        timestamp = int.from_bytes(signature[:8], "big")
        verify_signature(self.public_key, cosigned_message(message, timestamp), signature[8:])


class _TimestampedSigner:
    # A `NoteSigner` bound to one timestamp, so `sign_note` can add a cosignature.
    __slots__ = ("_signer", "_timestamp")

    def __init__(self, signer: CosignatureSigner, timestamp: int) -> None:
        _check_timestamp(timestamp)
        self._signer = signer
        self._timestamp = timestamp

    @property
    def name(self) -> str:
        return self._signer.name

    @property
    def key_id(self) -> int:
        return self._signer.key_id

    def sign(self, message: bytes) -> bytes:
        return self._signer.cosign(message, self._timestamp).to_note_signature().signature


class CosignatureSigner:
    """A cosigner's Ed25519 key: cosigns checkpoints at caller-given timestamps."""

    __slots__ = ("_key", "key_id", "name")

    def __init__(self, name: str, key: SigningKey) -> None:
        """Preconditions: valid key name (`InvalidKeyNameError`)."""
        self.name = name
        self._key = key
        self.key_id = key_id(name, SIGNATURE_TYPE_COSIGNATURE_V1, key.public_key)

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key."""
        return self._key.public_key

    def verifier(self) -> CosignatureVerifier:
        """The matching verifier."""
        return CosignatureVerifier(self.name, self._key.public_key)

    def cosign(self, checkpoint: Checkpoint | str | bytes, timestamp: int) -> Cosignature:
        """Cosign a checkpoint (object or note text) as of ``timestamp`` (POSIX seconds).

        The text must parse as a checkpoint (`MalformedCheckpointError` otherwise): a
        cosigner only ever vouches for tree heads. Checking consistency with what it saw
        before is the caller's duty (see `verify_consistency`).
        """
        text = checkpoint.to_bytes() if isinstance(checkpoint, Checkpoint) else checkpoint
        if isinstance(text, str):
            text = text.encode("utf-8")
        parse_checkpoint(text)
        signature = self._key.sign(cosigned_message(text, timestamp))
        return Cosignature(self.name, self.key_id, timestamp, signature)

    def at(self, timestamp: int) -> NoteSigner:
        """A `NoteSigner` that cosigns at ``timestamp``, for use with `sign_note`."""
        return _TimestampedSigner(self, timestamp)

    def __repr__(self) -> str:
        return f"CosignatureSigner(name={self.name!r}, key_id={self.key_id:08x})"


def verify_cosignature(
    checkpoint: Checkpoint | str,
    cosignature: Cosignature,
    verifier: CosignatureVerifier,
    *,
    now: int | None = None,
    max_future: int = 0,
) -> None:
    """Check one cosignature over a checkpoint; return None or raise.

    Raises `InvalidSignatureError` if the (name, key id) is not the verifier's or the
    signature fails, and, when ``now`` is given, `CosignatureTimestampError` for a
    timestamp more than ``max_future`` seconds ahead of it.
    """
    if (cosignature.name, cosignature.key_id) != (verifier.name, verifier.key_id):
        raise InvalidSignatureError(
            f"cosignature by {cosignature.name}+{cosignature.key_id:08x} is not from "
            f"{verifier.name}+{verifier.key_id:08x}"
        )
    if now is not None and cosignature.timestamp > now + max_future:
        raise CosignatureTimestampError(
            f"cosignature timestamp {cosignature.timestamp} is in the future (now {now})"
        )
    text = checkpoint.to_text() if isinstance(checkpoint, Checkpoint) else checkpoint
    verifier.verify(
        text.encode("utf-8"), cosignature.timestamp.to_bytes(8, "big") + cosignature.signature
    )


def cosignatures_in(note: Note, verifiers: Iterable[CosignatureVerifier]) -> list[Cosignature]:
    """The cosignatures among a note's *verified* signatures by the given cosigners.

    Use after `open_note` / `open_checkpoint` was given these verifiers: it recovers the
    timestamps, which the note layer treats as opaque signature bytes.
    """
    wanted = {(v.name, v.key_id) for v in verifiers}
    return [parse_cosignature(sig) for sig in note.signatures if (sig.name, sig.key_id) in wanted]


def add_cosignatures(signed_note: bytes, cosignatures: Iterable[Cosignature]) -> bytes:
    """Append cosignature lines to a signed note, as a log does with witness responses.

    The note is re-parsed (syntax only; `MalformedNoteError` subclasses) so that a
    malformed input is not silently extended; a cosignature whose (name, key id) already
    signed is replaced, as `sign_note` does.
    """
    text, existing = parse_note(signed_note)
    new = [c.to_note_signature() for c in cosignatures]
    replaced = {(sig.name, sig.key_id) for sig in new}
    kept = [sig for sig in existing if (sig.name, sig.key_id) not in replaced]
    return format_note(text, [*kept, *new])
