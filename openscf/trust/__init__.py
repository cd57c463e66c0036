"""Trust: the pieces that let anyone verify the network without trusting its operator.

RFC 9162 Merkle hashing, inclusion and consistency proofs, C2SP signed notes, checkpoints
and cosignatures, Ed25519 keys, and the canonical encoding of events.

May import: the standard library and `cryptography`. Nothing else from openscf, so a third
party can vendor or install this package alone.

Modules: `merkle` (hashing, proofs, storage-friendly node addressing, `MerkleAppender`),
`note` (signed notes, vkeys / skeys), `checkpoint` (tlog-checkpoint), `cosignature`
(tlog-cosignature, Ed25519), `keys` (Ed25519 keys, `KeyRecord`, `key_in_force`),
`canonical` (the one byte form of events), `errors` (the tree below).

Exceptions. Every error is a `TrustError`, a `ValueError`, with a stable snake_case
`code`; verifiers raise instead of returning False::

    ValueError
    ├── TrustError                          trust_error
    │   ├── InvalidProofError               invalid_proof
    │   │   ├── IndexOutOfRangeError        index_out_of_range
    │   │   ├── TreeSizeError               invalid_tree_size
    │   │   ├── ProofLengthError            proof_length_mismatch
    │   │   ├── HashSizeError               wrong_hash_size
    │   │   └── RootMismatchError           root_mismatch
    │   ├── KeyFormatError                  invalid_key
    │   │   ├── InvalidKeyNameError         invalid_key_name
    │   │   ├── KeyIdMismatchError          key_id_mismatch
    │   │   ├── UnsupportedKeyTypeError     unsupported_key_type
    │   │   └── AmbiguousVerifierError      ambiguous_verifier
    │   ├── KeyRecordError                  invalid_key_record
    │   ├── KeyNotInForceError              no_key_in_force
    │   ├── InvalidSignatureError           invalid_signature
    │   │   └── SignatureSizeError          wrong_signature_size
    │   ├── MalformedNoteError              malformed_note
    │   │   ├── NoteEncodingError           note_encoding
    │   │   ├── NoteStructureError          note_structure
    │   │   ├── SignatureLineError          malformed_signature_line
    │   │   └── TooManySignaturesError      too_many_signatures
    │   ├── UnverifiedNoteError             unverified_note
    │   ├── MalformedCheckpointError        malformed_checkpoint
    │   │   ├── CheckpointOriginError       checkpoint_origin
    │   │   ├── CheckpointSizeError         checkpoint_size
    │   │   └── CheckpointHashError         checkpoint_root_hash
    │   └── MalformedCosignatureError       malformed_cosignature
    │       └── CosignatureTimestampError   cosignature_timestamp
    │   └── CanonicalEncodingError          non_canonical_encoding
"""

from .canonical import (
    EVENT_ENCODING_VERSION,
    CanonicalEncodingError,
    canonical_bytes,
    decode_canonical,
)
from .checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    SignedCheckpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from .cosignature import (
    COSIGNATURE_HEADER,
    MAX_TIMESTAMP,
    SIGNATURE_TYPE_COSIGNATURE_V1,
    Cosignature,
    CosignatureSigner,
    CosignatureVerifier,
    add_cosignatures,
    cosignatures_in,
    cosigned_message,
    parse_cosignature,
    verify_cosignature,
)
from .errors import (
    AmbiguousVerifierError,
    CheckpointHashError,
    CheckpointOriginError,
    CheckpointSizeError,
    CosignatureTimestampError,
    HashSizeError,
    IndexOutOfRangeError,
    InvalidKeyNameError,
    InvalidProofError,
    InvalidSignatureError,
    KeyFormatError,
    KeyIdMismatchError,
    KeyNotInForceError,
    KeyRecordError,
    MalformedCheckpointError,
    MalformedCosignatureError,
    MalformedNoteError,
    NoteEncodingError,
    NoteStructureError,
    ProofLengthError,
    RootMismatchError,
    SignatureLineError,
    SignatureSizeError,
    TooManySignaturesError,
    TreeSizeError,
    TrustError,
    UnsupportedKeyTypeError,
    UnverifiedNoteError,
)
from .keys import (
    KeyRecord,
    SigningKey,
    decode_public_key,
    encode_public_key,
    generate_signing_key,
    key_in_force,
    keys_in_force,
    public_key_fingerprint,
    verify_signature,
    verify_signed_by,
)
from .merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    AppendResult,
    MerkleAppender,
    NodeID,
    ProofNodes,
    StoredNode,
    consistency_nodes,
    consistency_proof,
    consistency_proof_from_leaf_hashes,
    consistency_proof_from_nodes,
    hash_children,
    hash_leaf,
    inclusion_nodes,
    inclusion_proof,
    inclusion_proof_from_leaf_hashes,
    inclusion_proof_from_nodes,
    proof_from_nodes,
    range_nodes,
    right_edge_nodes,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    root_from_nodes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from .note import (
    MAX_SIGNATURES,
    SIGNATURE_TYPE_ED25519,
    Ed25519NoteSigner,
    Ed25519NoteVerifier,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    VerifierKey,
    check_key_name,
    encode_verifier_key,
    format_note,
    generate_note_key,
    key_id,
    open_note,
    parse_note,
    parse_verifier_key,
    sign_note,
    verifier_map,
)

__all__ = [
    "COSIGNATURE_HEADER",
    "EMPTY_ROOT",
    "EVENT_ENCODING_VERSION",
    "HASH_SIZE",
    "MAX_SIGNATURES",
    "MAX_TIMESTAMP",
    "MAX_TREE_SIZE",
    "SIGNATURE_TYPE_COSIGNATURE_V1",
    "SIGNATURE_TYPE_ED25519",
    "AmbiguousVerifierError",
    "AppendResult",
    "CanonicalEncodingError",
    "Checkpoint",
    "CheckpointHashError",
    "CheckpointOriginError",
    "CheckpointSizeError",
    "Cosignature",
    "CosignatureSigner",
    "CosignatureTimestampError",
    "CosignatureVerifier",
    "Ed25519NoteSigner",
    "Ed25519NoteVerifier",
    "HashSizeError",
    "IndexOutOfRangeError",
    "InvalidKeyNameError",
    "InvalidProofError",
    "InvalidSignatureError",
    "KeyFormatError",
    "KeyIdMismatchError",
    "KeyNotInForceError",
    "KeyRecord",
    "KeyRecordError",
    "MalformedCheckpointError",
    "MalformedCosignatureError",
    "MalformedNoteError",
    "MerkleAppender",
    "NodeID",
    "Note",
    "NoteEncodingError",
    "NoteSignature",
    "NoteSigner",
    "NoteStructureError",
    "NoteVerifier",
    "ProofLengthError",
    "ProofNodes",
    "RootMismatchError",
    "SignatureLineError",
    "SignatureSizeError",
    "SignedCheckpoint",
    "SigningKey",
    "StoredNode",
    "TooManySignaturesError",
    "TreeSizeError",
    "TrustError",
    "UnsupportedKeyTypeError",
    "UnverifiedNoteError",
    "VerifierKey",
    "add_cosignatures",
    "canonical_bytes",
    "check_key_name",
    "consistency_nodes",
    "consistency_proof",
    "consistency_proof_from_leaf_hashes",
    "consistency_proof_from_nodes",
    "cosignatures_in",
    "cosigned_message",
    "decode_canonical",
    "decode_public_key",
    "encode_public_key",
    "encode_verifier_key",
    "format_note",
    "generate_note_key",
    "generate_signing_key",
    "hash_children",
    "hash_leaf",
    "inclusion_nodes",
    "inclusion_proof",
    "inclusion_proof_from_leaf_hashes",
    "inclusion_proof_from_nodes",
    "key_id",
    "key_in_force",
    "keys_in_force",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_cosignature",
    "parse_note",
    "parse_verifier_key",
    "proof_from_nodes",
    "public_key_fingerprint",
    "range_nodes",
    "right_edge_nodes",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "root_from_nodes",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "verifier_map",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
    "verify_signature",
    "verify_signed_by",
]
