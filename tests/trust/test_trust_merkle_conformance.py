"""RFC 9162 hashing and proofs against transparency-dev/merkle's published vectors."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from openscf.trust import (
    EMPTY_ROOT,
    InvalidProofError,
    MerkleAppender,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    root_from_leaf_hashes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(vector: dict[str, Any]) -> list[bytes]:
    # `null` in the vectors is Go's nil slice: an empty proof.
    return [_b64(h) for h in vector["proof"] or []]


def _standard_leaves(roots_json: Path) -> tuple[list[bytes], list[bytes]]:
    data = json.loads(roots_json.read_text())
    leaves = [bytes.fromhex(h) for h in data["leaf_inputs_hex"]]
    roots = [bytes.fromhex(h) for h in data["root_hash_hex_by_tree_size"]]
    return leaves, roots


def test_every_published_inclusion_vector_is_accepted_or_rejected_as_published(
    inclusion_vector: Path,
) -> None:
    vector = json.loads(inclusion_vector.read_text())
    args = (
        vector["leafIdx"],
        vector["treeSize"],
        _b64(vector["leafHash"]),
        _proof(vector),
        _b64(vector["root"]),
    )
    if vector["wantErr"]:
        with pytest.raises(InvalidProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


def test_every_published_consistency_vector_is_accepted_or_rejected_as_published(
    consistency_vector: Path,
) -> None:
    vector = json.loads(consistency_vector.read_text())
    args = (
        vector["size1"],
        vector["size2"],
        _b64(vector["root1"]),
        _b64(vector["root2"]),
        _proof(vector),
    )
    if vector["wantErr"]:
        with pytest.raises(InvalidProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_the_roots_of_the_standard_trees_of_sizes_0_to_8_match(roots_json: Path) -> None:
    leaves, roots = _standard_leaves(roots_json)
    assert len(roots) == 9
    for size, expected in enumerate(roots):
        assert root_hash(leaves[:size]) == expected, size
        assert root_from_leaf_hashes([hash_leaf(x) for x in leaves[:size]]) == expected
        appended = MerkleAppender().extend(hash_leaf(x) for x in leaves[:size])
        assert appended.root == expected
        assert appended.size == size


def test_the_single_hash_checks_match(roots_json: Path) -> None:
    also = json.loads(roots_json.read_text())["also"]
    assert EMPTY_ROOT.hex() == also["empty_tree_root"]
    assert hash_leaf(b"").hex() == also["hash_leaf('')"]
    assert hash_leaf(b"L123456").hex() == also["hash_leaf(b'L123456')"]
    assert hash_children(b"N123", b"N456").hex() == also["hash_children(b'N123', b'N456')"]


def _happy_paths(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*/happy-path.json"))]


def test_generated_inclusion_proofs_equal_the_published_happy_paths(
    conformance_dir: Path, roots_json: Path
) -> None:
    leaves, roots = _standard_leaves(roots_json)
    checked = 0
    for vector in _happy_paths(conformance_dir / "merkle" / "inclusion"):
        size = vector["treeSize"]
        if size > len(leaves) or _b64(vector["root"]) != roots[size]:
            continue  # a vector over some other tree: nothing of ours to compare with
        assert _b64(vector["leafHash"]) == hash_leaf(leaves[vector["leafIdx"]])
        assert inclusion_proof(vector["leafIdx"], leaves[:size]) == _proof(vector)
        checked += 1
    assert checked >= 4


def test_generated_consistency_proofs_equal_the_published_happy_paths(
    conformance_dir: Path, roots_json: Path
) -> None:
    leaves, roots = _standard_leaves(roots_json)
    checked = 0
    for vector in _happy_paths(conformance_dir / "merkle" / "consistency"):
        size1, size2 = vector["size1"], vector["size2"]
        if size2 > len(leaves) or _b64(vector["root2"]) != roots[size2]:
            continue
        assert _b64(vector["root1"]) == roots[size1]
        assert consistency_proof(size1, leaves[:size2]) == _proof(vector)
        checked += 1
    assert checked >= 4
