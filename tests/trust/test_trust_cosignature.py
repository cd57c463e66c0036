"""C2SP tlog-cosignature (Ed25519, cosignature/v1): timestamped witness signatures."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from openscf.trust import (
    Checkpoint,
    CosignatureSigner,
    CosignatureTimestampError,
    CosignatureVerifier,
    Ed25519NoteSigner,
    Ed25519NoteVerifier,
    InvalidSignatureError,
    MalformedCheckpointError,
    MalformedCosignatureError,
    NoteSignature,
    SignatureSizeError,
    SigningKey,
    UnsupportedKeyTypeError,
    add_cosignatures,
    cosignatures_in,
    cosigned_message,
    open_checkpoint,
    open_note,
    parse_cosignature,
    parse_note,
    root_hash,
    sign_checkpoint,
    sign_note,
    verify_cosignature,
)

LOG = Ed25519NoteSigner("openscf.example/log", SigningKey(bytes(range(32))))
WITNESS = CosignatureSigner("witness.example/w1", SigningKey(bytes(range(5, 37))))
CHECKPOINT = Checkpoint("openscf.example/log", 3, root_hash([b"a", b"b", b"c"]), ("ext",))
T = 1_679_315_147


def test_the_signed_message_is_header_time_line_and_the_whole_checkpoint_body() -> None:
    assert cosigned_message(CHECKPOINT.to_text(), T) == (
        b"cosignature/v1\ntime 1679315147\n" + CHECKPOINT.to_bytes()
    )


def test_the_key_id_uses_the_cosignature_type_byte_0x04() -> None:
    digest = hashlib.sha256(b"witness.example/w1\n\x04" + WITNESS.public_key).digest()
    assert WITNESS.key_id == int.from_bytes(digest[:4], "big")
    plain = Ed25519NoteVerifier("witness.example/w1", WITNESS.public_key)
    assert plain.key_id != WITNESS.key_id


def test_a_cosignature_verifies_and_keeps_its_timestamp() -> None:
    cosig = WITNESS.cosign(CHECKPOINT, T)
    assert cosig.timestamp == T
    verify_cosignature(CHECKPOINT, cosig, WITNESS.verifier())
    assert parse_cosignature(cosig.to_note_signature()) == cosig


def test_a_cosignature_over_another_checkpoint_is_rejected() -> None:
    cosig = WITNESS.cosign(CHECKPOINT, T)
    other = Checkpoint(CHECKPOINT.origin, 2, root_hash([b"a", b"b"]))
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(other, cosig, WITNESS.verifier())


def test_a_cosignature_with_a_changed_timestamp_is_rejected() -> None:
    cosig = WITNESS.cosign(CHECKPOINT, T)
    moved = type(cosig)(cosig.name, cosig.key_id, T + 1, cosig.signature)
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(CHECKPOINT, moved, WITNESS.verifier())


def test_a_cosignature_from_the_future_can_be_refused() -> None:
    cosig = WITNESS.cosign(CHECKPOINT, T)
    verify_cosignature(CHECKPOINT, cosig, WITNESS.verifier(), now=T)
    with pytest.raises(CosignatureTimestampError):
        verify_cosignature(CHECKPOINT, cosig, WITNESS.verifier(), now=T - 10, max_future=5)


def test_a_cosignature_by_another_cosigner_is_rejected() -> None:
    other = CosignatureSigner("witness.example/w2", SigningKey(bytes(32)))
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(CHECKPOINT, other.cosign(CHECKPOINT, T), WITNESS.verifier())


def test_a_log_checkpoint_with_a_witness_cosignature_opens_with_both_keys() -> None:
    signed = sign_checkpoint(CHECKPOINT, [LOG])
    cosigned = add_cosignatures(signed, [WITNESS.cosign(signed.split(b"\n\n")[0] + b"\n", T)])
    opened = open_checkpoint(cosigned, LOG.verifier(), other_verifiers=[WITNESS.verifier()])
    [cosig] = cosignatures_in(opened.note, [WITNESS.verifier()])
    assert (cosig.name, cosig.timestamp) == ("witness.example/w1", T)
    assert len(opened.note.signatures) == 2


def test_a_cosigning_note_signer_works_with_sign_note() -> None:
    signed = sign_note(CHECKPOINT.to_text(), [LOG, WITNESS.at(T)])
    note = open_note(signed, [LOG.verifier(), WITNESS.verifier()])
    assert [c.timestamp for c in cosignatures_in(note, [WITNESS.verifier()])] == [T]


def test_a_tampered_cosignature_in_a_note_rejects_the_note() -> None:
    signed = sign_note(CHECKPOINT.to_text(), [LOG, WITNESS.at(T)])
    text, sigs = parse_note(signed)
    raw = sigs[1].signature
    bad = NoteSignature(sigs[1].name, sigs[1].key_id, raw[:8] + bytes([raw[8] ^ 1]) + raw[9:])
    tampered = (text + "\n" + sigs[0].line() + bad.line()).encode()
    with pytest.raises(InvalidSignatureError):
        open_note(tampered, [LOG.verifier(), WITNESS.verifier()])


def test_a_cosignature_of_the_wrong_length_is_malformed() -> None:
    with pytest.raises(MalformedCosignatureError):
        parse_cosignature(NoteSignature("w", 1, bytes(71)))
    with pytest.raises(SignatureSizeError):
        WITNESS.verifier().verify(CHECKPOINT.to_bytes(), bytes(73))


def test_a_timestamp_beyond_2_to_the_63_is_refused() -> None:
    raw = (2**63).to_bytes(8, "big") + bytes(64)
    with pytest.raises(CosignatureTimestampError):
        parse_cosignature(NoteSignature("w", 1, raw))
    with pytest.raises(CosignatureTimestampError):
        WITNESS.verifier().verify(CHECKPOINT.to_bytes(), raw)
    with pytest.raises(CosignatureTimestampError):
        WITNESS.cosign(CHECKPOINT, 2**63)
    with pytest.raises(CosignatureTimestampError):
        WITNESS.cosign(CHECKPOINT, -1)


def test_a_cosigner_refuses_to_sign_what_is_not_a_checkpoint() -> None:
    with pytest.raises(MalformedCheckpointError):
        WITNESS.cosign("just some text\n", T)


def test_a_cosigner_vkey_round_trips_and_must_have_type_0x04() -> None:
    verifier = WITNESS.verifier()
    assert CosignatureVerifier.from_vkey(verifier.vkey).key_id == WITNESS.key_id
    with pytest.raises(UnsupportedKeyTypeError):
        CosignatureVerifier.from_vkey(LOG.verifier().vkey)


def test_the_spec_example_cosignature_carries_the_timestamp_of_the_spec_message(
    specs_dir: Path,
) -> None:
    spec = (specs_dir / "c2sp-tlog-cosignature.md").read_text(encoding="utf-8")
    line = re.search(r"^\u2014 (witness\.example\.com/w1) (\S+)$", spec, re.MULTILINE)
    stamp = re.search(r"^\s*time (\d+)$", spec, re.MULTILINE)
    if line is None or stamp is None:
        pytest.skip("the spec's example cosignature / time line were not found")
    _, [sig] = parse_note(b"x\n\n" + line.group(0).encode() + b"\n")
    assert parse_cosignature(sig).timestamp == int(stamp.group(1))
