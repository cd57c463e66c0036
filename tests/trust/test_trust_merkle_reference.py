"""The library against a naive, literal transcription of RFC 9162 section 2.1.

The reference below is deliberately slow and recursive: it follows the RFC's MTH, PATH
and SUBPROOF definitions word for word, so agreement means the fast code computes what
the RFC says, for every size up to 64 and every index, and for random larger trees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openscf.trust import (
    MerkleAppender,
    RootMismatchError,
    consistency_nodes,
    consistency_proof,
    consistency_proof_from_leaf_hashes,
    consistency_proof_from_nodes,
    hash_leaf,
    inclusion_nodes,
    inclusion_proof,
    inclusion_proof_from_nodes,
    root_from_nodes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# --- the reference: RFC 9162 section 2.1, transcribed ----------------------------------


def ref_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1 << ((n - 1).bit_length() - 1)  # largest power of two smaller than n
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


def leaves_of(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]


# --- exhaustive small trees -----------------------------------------------------------

SIZES = range(1, 65)


@pytest.mark.parametrize("size", SIZES)
def test_roots_agree_with_the_rfc_for_every_size_up_to_64(size: int) -> None:
    leaves = leaves_of(size)
    assert root_hash(leaves) == ref_mth(leaves)
    assert MerkleAppender().extend(hash_leaf(x) for x in leaves).root == ref_mth(leaves)


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs_agree_with_the_rfc_for_every_index(size: int) -> None:
    leaves = leaves_of(size)
    root = ref_mth(leaves)
    for index in range(size):
        expected = ref_path(index, leaves)
        assert inclusion_proof(index, leaves) == expected, index
        verify_inclusion(index, size, hash_leaf(leaves[index]), expected, root)


@pytest.mark.parametrize("size", SIZES)
def test_consistency_proofs_agree_with_the_rfc_for_every_old_size(size: int) -> None:
    leaves = leaves_of(size)
    new_root = ref_mth(leaves)
    for old in range(1, size + 1):
        expected = ref_proof(old, leaves)
        assert consistency_proof(old, leaves) == expected, old
        verify_consistency(old, size, ref_mth(leaves[:old]), new_root, expected)


@pytest.mark.parametrize("size", range(2, 33))
def test_an_inclusion_proof_for_a_neighbouring_leaf_is_rejected(size: int) -> None:
    leaves = leaves_of(size)
    root = ref_mth(leaves)
    for index in range(size):
        proof = ref_path(index, leaves)
        other = (index + 1) % size
        with pytest.raises(RootMismatchError):
            verify_inclusion(index, size, hash_leaf(leaves[other]), proof, root)


@pytest.mark.parametrize("size", range(2, 33))
def test_a_consistency_proof_against_a_forked_history_is_rejected(size: int) -> None:
    leaves = leaves_of(size)
    for old in range(1, size):
        forked = [*leaves[: old - 1], b"rewritten", *leaves[old:]]
        proof = consistency_proof(old, forked)
        with pytest.raises(RootMismatchError):
            verify_consistency(old, size, ref_mth(leaves[:old]), ref_mth(forked), proof)


# --- storage-style proofs: nodes written by the appender, proofs read from them --------


def _store(size: int) -> tuple[dict[tuple[int, int], bytes], list[bytes]]:
    nodes: dict[tuple[int, int], bytes] = {}
    appender = MerkleAppender()
    hashes = [hash_leaf(x) for x in leaves_of(size)]
    roots = [appender.root()]
    for leaf_hash in hashes:
        result = appender.append(leaf_hash)
        for node in result.nodes:
            key = (node.level, node.index)
            assert key not in nodes, "a perfect node is written exactly once"
            nodes[key] = node.hash
        roots.append(result.root)
    return nodes, roots


def test_storage_style_proofs_equal_in_memory_proofs_for_every_size_up_to_64() -> None:
    nodes, roots = _store(64)

    def get_node(level: int, index: int) -> bytes:
        return nodes[(level, index)]

    all_leaves = leaves_of(64)
    for size in SIZES:
        leaves = all_leaves[:size]
        assert roots[size] == ref_mth(leaves)
        assert root_from_nodes(size, get_node) == roots[size]
        for index in range(size):
            assert inclusion_proof_from_nodes(index, size, get_node) == inclusion_proof(
                index, leaves
            )
        for old in range(1, size + 1):
            assert consistency_proof_from_nodes(old, size, get_node) == consistency_proof(
                old, leaves
            )


def test_the_appender_writes_exactly_the_perfect_nodes_of_the_tree() -> None:
    nodes, _ = _store(37)
    expected = {
        (level, index)
        for level in range(7)
        for index in range(37 >> level)  # perfect nodes wholly inside [0, 37)
    }
    assert set(nodes) == expected


def test_proofs_read_only_a_logarithmic_number_of_nodes() -> None:
    size = 1_000_003
    for index in (0, 1, size // 2, size - 2, size - 1):
        assert len(inclusion_nodes(index, size).nodes) <= 2 * size.bit_length()
    for old in (1, 2, 3, size // 3, size - 1):
        assert len(consistency_nodes(old, size).nodes) <= 2 * size.bit_length() + 1


def test_an_appender_resumed_from_stored_nodes_continues_the_same_tree() -> None:
    nodes, roots = _store(50)
    hashes = [hash_leaf(x) for x in leaves_of(50)]
    for size in range(50):
        resumed = MerkleAppender.from_nodes(size, lambda lv, ix: nodes[(lv, ix)])
        assert resumed.root() == roots[size]
        result = resumed.extend(hashes[size:])
        assert result.root == roots[50]
        for node in result.nodes:
            assert nodes[(node.level, node.index)] == node.hash


# --- larger random trees --------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(min_value=65, max_value=700))
def test_random_larger_trees_agree_with_the_rfc(data: st.DataObject, size: int) -> None:
    leaves = leaves_of(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=size), label="old")
    assert inclusion_proof(index, leaves) == ref_path(index, leaves)
    assert consistency_proof(old, leaves) == ref_proof(old, leaves)
    verify_inclusion(
        index, size, hash_leaf(leaves[index]), ref_path(index, leaves), ref_mth(leaves)
    )
    verify_consistency(old, size, ref_mth(leaves[:old]), ref_mth(leaves), ref_proof(old, leaves))


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(min_value=2, max_value=2000),
    data=st.data(),
)
def test_random_storage_proofs_match_and_verify(size: int, data: st.DataObject) -> None:
    hashes = [hash_leaf(i.to_bytes(4, "big")) for i in range(size)]
    appender = MerkleAppender()
    nodes = {(n.level, n.index): n.hash for n in appender.extend(hashes).nodes}
    root = appender.root()
    old = data.draw(st.integers(min_value=1, max_value=size), label="old")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")

    def get_node(level: int, idx: int) -> bytes:
        return nodes[(level, idx)]

    proof = inclusion_proof_from_nodes(index, size, get_node)
    verify_inclusion(index, size, hashes[index], proof, root)
    cproof = consistency_proof_from_nodes(old, size, get_node)
    assert cproof == consistency_proof_from_leaf_hashes(old, hashes)
    verify_consistency(old, size, root_from_nodes(old, get_node), root, cproof)
