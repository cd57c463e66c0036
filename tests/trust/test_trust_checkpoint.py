"""C2SP tlog-checkpoint: one spelling per tree head, and signed by the log."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from openscf.trust import (
    EMPTY_ROOT,
    MAX_TREE_SIZE,
    Checkpoint,
    CheckpointHashError,
    CheckpointOriginError,
    CheckpointSizeError,
    Ed25519NoteSigner,
    MalformedCheckpointError,
    SigningKey,
    UnverifiedNoteError,
    open_checkpoint,
    parse_checkpoint,
    parse_note,
    root_hash,
    sign_checkpoint,
)

ORIGIN = "openscf.example/log"
ROOT = root_hash([b"a", b"b", b"c"])
ROOT_B64 = base64.b64encode(ROOT).decode()
LOG = Ed25519NoteSigner(ORIGIN, SigningKey(bytes(range(32))))
WITNESS = Ed25519NoteSigner("witness.example/w1", SigningKey(bytes(range(2, 34))))


def test_a_checkpoint_round_trips_through_its_text() -> None:
    checkpoint = Checkpoint(ORIGIN, 3, ROOT, ("ext one", "ext two"))
    text = checkpoint.to_text()
    assert text == f"{ORIGIN}\n3\n{ROOT_B64}\next one\next two\n"
    assert parse_checkpoint(text) == checkpoint
    assert parse_checkpoint(text.encode()) == checkpoint


def test_the_example_in_the_checkpoint_spec_parses_and_re_encodes(specs_dir: Path) -> None:
    spec = (specs_dir / "c2sp-tlog-checkpoint.md").read_text(encoding="utf-8")
    block = re.search(r"```\n(.*?)```", spec, re.DOTALL)
    if block is None:
        pytest.skip("the spec's example checkpoint was not found")
    text, _ = parse_note(block.group(1).encode("utf-8"))
    checkpoint = parse_checkpoint(text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.to_text() == text


def test_an_empty_tree_checkpoint_carries_the_empty_root() -> None:
    empty = Checkpoint(ORIGIN, 0, EMPTY_ROOT)
    assert parse_checkpoint(empty.to_text()) == empty
    with pytest.raises(CheckpointHashError):
        Checkpoint(ORIGIN, 0, ROOT)


@pytest.mark.parametrize(
    ("size_line", "why"),
    [
        ("03", "leading zero"),
        ("00", "two zeros"),
        ("+3", "sign"),
        ("-1", "negative"),
        (" 3", "space"),
        ("3 ", "trailing space"),
        ("1_000", "underscore"),
        ("\u0663", "arabic-indic digit three"),
        ("0x3", "hex"),
        ("", "empty"),
        (str(2**64), "beyond uint64"),
    ],
)
def test_a_non_canonical_tree_size_is_refused(size_line: str, why: str) -> None:
    with pytest.raises(CheckpointSizeError):
        parse_checkpoint(f"{ORIGIN}\n{size_line}\n{ROOT_B64}\n")


def test_the_largest_uint64_size_is_accepted() -> None:
    assert parse_checkpoint(f"{ORIGIN}\n{MAX_TREE_SIZE}\n{ROOT_B64}\n").size == MAX_TREE_SIZE


@pytest.mark.parametrize(
    "hash_line",
    [
        base64.b64encode(ROOT[:31]).decode(),  # 31 bytes
        base64.b64encode(ROOT + b"\0").decode(),  # 33 bytes
        ROOT_B64.rstrip("="),  # unpadded
        ROOT.hex(),  # hex, not base64
        ROOT_B64[:-2] + "J=",  # non-zero padding bits: a second spelling of a hash
        base64.urlsafe_b64encode(b"\xfb" * 32).decode(),  # URL-safe alphabet
        "",
    ],
)
def test_a_root_hash_that_is_not_canonical_base64_of_32_bytes_is_refused(hash_line: str) -> None:
    with pytest.raises(CheckpointHashError):
        parse_checkpoint(f"{ORIGIN}\n3\n{hash_line}\n")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (f"{ORIGIN}\n3\n{ROOT_B64}", MalformedCheckpointError),  # no final newline
        (f"{ORIGIN}\n3\n", MalformedCheckpointError),  # two lines
        (f"\n3\n{ROOT_B64}\n", CheckpointOriginError),  # empty origin
        (f"{ORIGIN}\n3\n{ROOT_B64}\n\n", MalformedCheckpointError),  # empty extension line
        (f"{ORIGIN}\n3\n{ROOT_B64}\next\n\nmore\n", MalformedCheckpointError),
        (b"\xff\n3\n" + ROOT_B64.encode() + b"\n", MalformedCheckpointError),  # not UTF-8
    ],
)
def test_a_malformed_checkpoint_body_raises_its_specific_error(
    text: str | bytes, error: type[MalformedCheckpointError]
) -> None:
    with pytest.raises(error):
        parse_checkpoint(text)


def test_a_signed_checkpoint_opens_with_the_log_key() -> None:
    checkpoint = Checkpoint(ORIGIN, 3, ROOT)
    signed = sign_checkpoint(checkpoint, [LOG])
    opened = open_checkpoint(signed, LOG.verifier())
    assert opened.checkpoint == checkpoint
    assert opened.note.text == checkpoint.to_text()


def test_a_checkpoint_signed_only_by_a_witness_is_not_a_log_checkpoint() -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), [WITNESS])
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(signed, LOG.verifier(), other_verifiers=[WITNESS.verifier()])


def test_a_checkpoint_from_another_origin_is_refused() -> None:
    signed = sign_checkpoint(Checkpoint("someone.else/log", 3, ROOT), [LOG])
    with pytest.raises(CheckpointOriginError):
        open_checkpoint(signed, LOG.verifier())
    assert open_checkpoint(signed, LOG.verifier(), origin="someone.else/log").checkpoint.size == 3


def test_a_signed_note_whose_text_is_no_checkpoint_is_refused() -> None:
    from openscf.trust import sign_note

    signed = sign_note(f"{ORIGIN}\n03\n{ROOT_B64}\n", [LOG])
    with pytest.raises(CheckpointSizeError):
        open_checkpoint(signed, LOG.verifier())


def test_constructing_an_invalid_checkpoint_is_refused() -> None:
    with pytest.raises(CheckpointOriginError):
        Checkpoint("", 1, ROOT)
    with pytest.raises(CheckpointSizeError):
        Checkpoint(ORIGIN, -1, ROOT)
    with pytest.raises(CheckpointHashError):
        Checkpoint(ORIGIN, 1, ROOT[:8])
    with pytest.raises(MalformedCheckpointError):
        Checkpoint(ORIGIN, 1, ROOT, ("",))
