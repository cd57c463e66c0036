"""The errors of `openscf.trust`: the `TrustError` branch of the one tree.

Every error derives from `TrustError`, itself a `ValueError` because each one means "the
input you handed me is not acceptable": a proof that does not prove, a note that does not
parse, a key string that is not a key. Each class carries a stable snake_case `code` so
adapters can map errors without matching on messages, which are for people and may change.

`TrustError` is an `openscf.errors.OpenSCFError` too: the tree, this branch included, is
drawn once, in the docstring of `openscf.errors` (which imports nothing, so trust still
depends on nothing else in openscf).
"""

from __future__ import annotations

# The module, not its names: every class defined here is a TrustError (a test holds it).
import openscf.errors as _root

__all__ = [
    "AmbiguousVerifierError",
    "CheckpointHashError",
    "CheckpointOriginError",
    "CheckpointSizeError",
    "CosignatureTimestampError",
    "HashSizeError",
    "IndexOutOfRangeError",
    "InvalidKeyNameError",
    "InvalidProofError",
    "InvalidSignatureError",
    "KeyFormatError",
    "KeyIdMismatchError",
    "KeyNotInForceError",
    "KeyRecordError",
    "MalformedCheckpointError",
    "MalformedCosignatureError",
    "MalformedNoteError",
    "NoteEncodingError",
    "NoteStructureError",
    "ProofLengthError",
    "RootMismatchError",
    "SignatureLineError",
    "SignatureSizeError",
    "TooManySignaturesError",
    "TreeSizeError",
    "TrustError",
    "UnsupportedKeyTypeError",
    "UnverifiedNoteError",
]


class TrustError(_root.OpenSCFError, ValueError):
    """Base of every error raised by `openscf.trust`. The system's fault when it reaches
    an adapter (see `openscf.errors`): an adapter that hands trust the caller's input
    answers the caller itself."""

    code = "trust_error"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


# Merkle proofs ------------------------------------------------------------------------


class InvalidProofError(TrustError):
    """A Merkle inclusion or consistency proof does not prove what it claims."""

    code = "invalid_proof"


class IndexOutOfRangeError(InvalidProofError):
    """A leaf index is negative or not below the tree size."""

    code = "index_out_of_range"


class TreeSizeError(InvalidProofError):
    """Tree sizes are negative, run backwards, or ask for a meaningless proof (from 0)."""

    code = "invalid_tree_size"


class ProofLengthError(InvalidProofError):
    """A proof has more or fewer hashes than the tree shape demands."""

    code = "proof_length_mismatch"


class HashSizeError(InvalidProofError):
    """A leaf hash or proof hash is not exactly 32 bytes."""

    code = "wrong_hash_size"


class RootMismatchError(InvalidProofError):
    """The root recomputed from a proof differs from the expected root."""

    code = "root_mismatch"

    def __init__(self, message: str, *, expected: bytes = b"", calculated: bytes = b"") -> None:
        super().__init__(message)
        self.expected = expected
        self.calculated = calculated


# Keys ---------------------------------------------------------------------------------


class KeyFormatError(TrustError):
    """A key, key string (vkey / skey) or raw key material is malformed."""

    code = "invalid_key"


class InvalidKeyNameError(KeyFormatError):
    """A key name is empty or contains a space, a plus sign or a control character."""

    code = "invalid_key_name"


class KeyIdMismatchError(KeyFormatError):
    """The key id written in a key string is not the one computed from its name and key."""

    code = "key_id_mismatch"


class UnsupportedKeyTypeError(KeyFormatError):
    """A key string names a signature type this code does not implement here."""

    code = "unsupported_key_type"


class AmbiguousVerifierError(KeyFormatError):
    """Two different verifiers were configured with the same (name, key id)."""

    code = "ambiguous_verifier"


class KeyRecordError(TrustError):
    """A key record is inconsistent (naive datetimes, a window that ends before it starts)."""

    code = "invalid_key_record"


class KeyNotInForceError(TrustError):
    """No key of the organisation was in force at the instant asked about."""

    code = "no_key_in_force"


# Signatures ---------------------------------------------------------------------------


class InvalidSignatureError(TrustError):
    """A signature by a known key does not verify."""

    code = "invalid_signature"


class SignatureSizeError(InvalidSignatureError):
    """A signature has the wrong number of bytes for its algorithm."""

    code = "wrong_signature_size"


# Signed notes -------------------------------------------------------------------------


class MalformedNoteError(TrustError):
    """A signed note does not follow the C2SP signed-note format."""

    code = "malformed_note"


class NoteEncodingError(MalformedNoteError):
    """A note is not UTF-8, or holds an ASCII control character other than newline."""

    code = "note_encoding"


class NoteStructureError(MalformedNoteError):
    """A note lacks the text / blank line / signature lines shape (e.g. it was truncated)."""

    code = "note_structure"


class SignatureLineError(MalformedNoteError):
    """A signature line is not `— <name> <base64(key id || signature)>`."""

    code = "malformed_signature_line"


class TooManySignaturesError(MalformedNoteError):
    """A note carries more signature lines than we are willing to process."""

    code = "too_many_signatures"


class UnverifiedNoteError(TrustError):
    """A well-formed note carries no signature from any known key."""

    code = "unverified_note"

    def __init__(self, message: str, *, unverified: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        # Why keep them: a caller may want to say *which* keys signed, to help configure.
        self.unverified = unverified


# Checkpoints and cosignatures ---------------------------------------------------------


class MalformedCheckpointError(TrustError):
    """A note text is not a C2SP tlog-checkpoint body."""

    code = "malformed_checkpoint"


class CheckpointOriginError(MalformedCheckpointError):
    """The origin line is empty, or not the origin the caller expected."""

    code = "checkpoint_origin"


class CheckpointSizeError(MalformedCheckpointError):
    """The tree size line is not a canonical decimal in the uint64 range."""

    code = "checkpoint_size"


class CheckpointHashError(MalformedCheckpointError):
    """The root hash line is not canonical base64 of exactly 32 bytes."""

    code = "checkpoint_root_hash"


class MalformedCosignatureError(TrustError):
    """A cosignature is not an 8-byte timestamp followed by a 64-byte Ed25519 signature."""

    code = "malformed_cosignature"


class CosignatureTimestampError(MalformedCosignatureError):
    """A cosignature timestamp exceeds 2^63-1 or lies beyond the caller's allowed future."""

    code = "cosignature_timestamp"
