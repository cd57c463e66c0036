"""C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the signed head of a Merkle log.

The note text is at least three non-empty newline-terminated lines::

    <origin>
    <tree size, decimal, no leading zeros>
    <base64 of the 32-byte RFC 9162 root hash>
    [<extension line>...]

Parsing is strict so that one checkpoint has exactly one spelling: a leading zero, a
sign, non-ASCII digits, a size beyond uint64, non-canonical base64, a hash that is not 32
bytes, an empty line anywhere, or a size-0 checkpoint whose root is not the empty-tree
hash are all refused with a `MalformedCheckpointError` subclass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import (
    CheckpointHashError,
    CheckpointOriginError,
    CheckpointSizeError,
    MalformedCheckpointError,
    UnverifiedNoteError,
)
from .keys import b64decode_strict, b64encode
from .merkle import EMPTY_ROOT, HASH_SIZE
from .note import Note, NoteSigner, NoteVerifier, open_note, sign_note, verifier_map

__all__ = [
    "MAX_TREE_SIZE",
    "Checkpoint",
    "SignedCheckpoint",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
]

# Tree sizes are uint64 in every implementation we interoperate with (Go, Rust, C++).
MAX_TREE_SIZE = 2**64 - 1

# ASCII digits only: Python's int() also takes "+1", " 1", "1_0" and non-ASCII digits.
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin, size, root hash and optional opaque extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin:
            raise CheckpointOriginError("checkpoint origin must not be empty")
        if "\n" in self.origin:
            raise CheckpointOriginError("checkpoint origin must be a single line")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointSizeError(f"tree size {self.size} is not in the uint64 range")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointHashError(f"root hash is {len(self.root_hash)} bytes, want 32")
        if self.size == 0 and self.root_hash != EMPTY_ROOT:
            # RFC 9162 fixes the empty tree's hash; anything else cannot be a real head.
            raise CheckpointHashError("a checkpoint of size 0 must carry the empty-tree root")
        for line in self.extensions:
            if not line or "\n" in line:
                raise MalformedCheckpointError("extension lines must be non-empty single lines")

    def to_text(self) -> str:
        """The checkpoint note text (what is signed), final newline included."""
        lines = [self.origin, str(self.size), b64encode(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"

    def to_bytes(self) -> bytes:
        """`to_text` encoded as UTF-8."""
        return self.to_text().encode("utf-8")


def parse_checkpoint(text: str | bytes) -> Checkpoint:
    """Parse a checkpoint note text (not a signed note: see `open_checkpoint`).

    Raises `CheckpointOriginError`, `CheckpointSizeError`, `CheckpointHashError`, or
    `MalformedCheckpointError` for any other deviation (missing final newline, fewer
    than three lines, empty lines, not UTF-8).
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedCheckpointError("checkpoint is not valid UTF-8") from exc
    if not text.endswith("\n"):
        raise MalformedCheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpointError(f"checkpoint has {len(lines)} lines, needs at least 3")
    origin, size_text, hash_text, *extensions = lines
    if not origin:
        raise CheckpointOriginError("checkpoint origin must not be empty")
    if not _SIZE_RE.fullmatch(size_text):
        raise CheckpointSizeError(f"tree size {size_text!r} is not a canonical decimal")
    size = int(size_text)
    if size > MAX_TREE_SIZE:
        raise CheckpointSizeError(f"tree size {size_text} exceeds the uint64 range")
    try:
        root = b64decode_strict(hash_text)
    except ValueError as exc:
        raise CheckpointHashError("root hash is not canonical base64") from exc
    if any(not line for line in extensions):
        raise MalformedCheckpointError("checkpoint extension lines must not be empty")
    return Checkpoint(origin, size, root, tuple(extensions))


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """An opened, verified checkpoint with the note it came in."""

    checkpoint: Checkpoint
    note: Note


def sign_checkpoint(checkpoint: Checkpoint, signers: Iterable[NoteSigner]) -> bytes:
    """Sign a checkpoint's text; return the signed note bytes."""
    return sign_note(checkpoint.to_text(), signers)


def open_checkpoint(
    message: bytes,
    log_verifier: NoteVerifier,
    *,
    origin: str | None = None,
    other_verifiers: Iterable[NoteVerifier] = (),
) -> SignedCheckpoint:
    """Open a signed checkpoint that must carry a valid signature by the log's key.

    ``origin`` (default: the log key's name, which the spec says SHOULD match) must equal
    the checkpoint's origin line, else `CheckpointOriginError`. ``other_verifiers`` (e.g.
    witnesses' cosignature verifiers) are checked too when their signatures are present;
    they cannot stand in for the log's own signature (`UnverifiedNoteError`).
    Note-level errors: see `open_note`; checkpoint-level: see `parse_checkpoint`.
    """
    known = verifier_map([log_verifier, *other_verifiers])
    note = open_note(message, known)
    if not any(
        sig.name == log_verifier.name and sig.key_id == log_verifier.key_id
        for sig in note.signatures
    ):
        raise UnverifiedNoteError(
            f"checkpoint is not signed by the log key {log_verifier.name}",
            unverified=note.unverified,
        )
    checkpoint = parse_checkpoint(note.text)
    expected = log_verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise CheckpointOriginError(
            f"checkpoint origin {checkpoint.origin!r} is not the expected {expected!r}"
        )
    return SignedCheckpoint(checkpoint, note)
