"""Merkle proofs: each way a proof, a size or a hash can be wrong raises its own error."""

from __future__ import annotations

import pytest

from openscf.trust import (
    EMPTY_ROOT,
    HashSizeError,
    IndexOutOfRangeError,
    InvalidProofError,
    MerkleAppender,
    NodeID,
    ProofLengthError,
    ProofNodes,
    RootMismatchError,
    TreeSizeError,
    consistency_nodes,
    consistency_proof,
    hash_leaf,
    inclusion_nodes,
    inclusion_proof,
    range_nodes,
    right_edge_nodes,
    root_from_inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [f"entry {i}".encode() for i in range(13)]
ROOT = root_hash(LEAVES)
INDEX = 6
PROOF = inclusion_proof(INDEX, LEAVES)
LEAF_HASH = hash_leaf(LEAVES[INDEX])
OLD = 5
OLD_ROOT = root_hash(LEAVES[:OLD])
CPROOF = consistency_proof(OLD, LEAVES)


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 0x10]) + h[1:]


def test_a_valid_inclusion_proof_verifies() -> None:
    verify_inclusion(INDEX, len(LEAVES), LEAF_HASH, PROOF, ROOT)
    assert root_from_inclusion_proof(INDEX, len(LEAVES), LEAF_HASH, PROOF) == ROOT


def test_a_proof_with_one_extra_hash_is_rejected() -> None:
    with pytest.raises(ProofLengthError):
        verify_inclusion(INDEX, len(LEAVES), LEAF_HASH, [*PROOF, ROOT], ROOT)


def test_a_proof_with_one_hash_missing_is_rejected() -> None:
    with pytest.raises(ProofLengthError):
        verify_inclusion(INDEX, len(LEAVES), LEAF_HASH, PROOF[:-1], ROOT)


def test_a_proof_with_a_flipped_bit_is_rejected_as_a_root_mismatch() -> None:
    for position in range(len(PROOF)):
        tampered = list(PROOF)
        tampered[position] = _flip(tampered[position])
        with pytest.raises(RootMismatchError) as caught:
            verify_inclusion(INDEX, len(LEAVES), LEAF_HASH, tampered, ROOT)
        assert caught.value.expected == ROOT
        assert caught.value.calculated != ROOT


def test_an_index_at_or_beyond_the_tree_size_is_out_of_range() -> None:
    for index in (len(LEAVES), len(LEAVES) + 1, 2**64 - 1, -1):
        with pytest.raises(IndexOutOfRangeError):
            verify_inclusion(index, len(LEAVES), LEAF_HASH, PROOF, ROOT)


def test_any_index_in_an_empty_tree_is_out_of_range() -> None:
    with pytest.raises(IndexOutOfRangeError):
        verify_inclusion(0, 0, LEAF_HASH, [], EMPTY_ROOT)


def test_a_leaf_hash_of_the_wrong_size_is_rejected() -> None:
    with pytest.raises(HashSizeError):
        verify_inclusion(INDEX, len(LEAVES), LEAF_HASH[:31], PROOF, ROOT)


def test_a_proof_hash_of_the_wrong_size_is_rejected() -> None:
    with pytest.raises(HashSizeError):
        verify_inclusion(INDEX, len(LEAVES), LEAF_HASH, [*PROOF[:-1], PROOF[-1] + b"\0"], ROOT)


def test_a_root_of_the_wrong_size_cannot_match() -> None:
    with pytest.raises(RootMismatchError):
        verify_inclusion(INDEX, len(LEAVES), LEAF_HASH, PROOF, ROOT[:16])


def test_the_same_proof_for_a_differently_shaped_tree_is_rejected() -> None:
    for size in (len(LEAVES) * 2, len(LEAVES) // 2 + 1, INDEX + 1):
        with pytest.raises(InvalidProofError):
            verify_inclusion(INDEX, size, LEAF_HASH, PROOF, ROOT)


def test_a_root_does_not_commit_to_the_tree_size_so_callers_must_pin_it() -> None:
    # RFC 9162 property, not a bug: leaf 6's path in 13 leaves has the same shape as in
    # 16, so (6, 16) "verifies" against the 13-leaf root. The size must come from the
    # same signed checkpoint as the root.
    verify_inclusion(INDEX, 16, LEAF_HASH, PROOF, ROOT)


def test_a_valid_consistency_proof_verifies() -> None:
    verify_consistency(OLD, len(LEAVES), OLD_ROOT, ROOT, CPROOF)


def test_a_consistency_proof_with_one_extra_hash_is_rejected() -> None:
    with pytest.raises(ProofLengthError):
        verify_consistency(OLD, len(LEAVES), OLD_ROOT, ROOT, [*CPROOF, ROOT])


def test_a_consistency_proof_against_the_wrong_old_root_is_rejected() -> None:
    with pytest.raises(RootMismatchError, match="old root"):
        verify_consistency(OLD, len(LEAVES), _flip(OLD_ROOT), ROOT, CPROOF)


def test_a_consistency_proof_against_the_wrong_new_root_is_rejected() -> None:
    with pytest.raises(RootMismatchError, match="new root"):
        verify_consistency(OLD, len(LEAVES), OLD_ROOT, _flip(ROOT), CPROOF)


def test_a_tree_that_shrank_is_rejected() -> None:
    with pytest.raises(TreeSizeError):
        verify_consistency(len(LEAVES), OLD, ROOT, OLD_ROOT, CPROOF)


def test_consistency_from_the_empty_tree_is_refused_as_meaningless() -> None:
    with pytest.raises(TreeSizeError):
        verify_consistency(0, len(LEAVES), EMPTY_ROOT, ROOT, [])
    with pytest.raises(TreeSizeError):
        consistency_proof(0, LEAVES)


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    verify_consistency(OLD, OLD, OLD_ROOT, OLD_ROOT, [])
    with pytest.raises(ProofLengthError):
        verify_consistency(OLD, OLD, OLD_ROOT, OLD_ROOT, [OLD_ROOT])
    with pytest.raises(RootMismatchError):
        verify_consistency(OLD, OLD, OLD_ROOT, ROOT, [])
    assert consistency_proof(len(LEAVES), LEAVES) == []


def test_asking_for_a_proof_beyond_the_tree_is_an_error() -> None:
    with pytest.raises(IndexOutOfRangeError):
        inclusion_proof(len(LEAVES), LEAVES)
    with pytest.raises(TreeSizeError):
        consistency_proof(len(LEAVES) + 1, LEAVES)
    with pytest.raises(IndexOutOfRangeError):
        inclusion_nodes(0, 0)
    with pytest.raises(TreeSizeError):
        consistency_nodes(3, 2)


def test_every_proof_error_is_a_trust_error_and_a_value_error() -> None:
    with pytest.raises(ValueError) as caught:
        verify_inclusion(INDEX, len(LEAVES), LEAF_HASH, PROOF[:-1], ROOT)
    assert caught.value.code == "proof_length_mismatch"  # type: ignore[attr-defined]


def test_the_empty_tree_hashes_to_the_hash_of_the_empty_string() -> None:
    assert root_hash([]) == EMPTY_ROOT == MerkleAppender().root()


@pytest.mark.parametrize(("begin", "end"), [(0, 0), (0, 1), (0, 13), (3, 17), (8, 9), (5, 64)])
def test_a_range_is_covered_exactly_by_its_compact_range_nodes(begin: int, end: int) -> None:
    nodes = range_nodes(begin, end)
    position = begin
    for node in nodes:
        assert node.begin == position, "nodes are contiguous and aligned"
        assert node.begin % (1 << node.level) == 0
        position = node.end
    assert position == end


def test_the_right_edge_of_a_tree_is_one_node_per_set_bit_of_its_size() -> None:
    assert right_edge_nodes(13) == [NodeID(3, 0), NodeID(2, 2), NodeID(0, 12)]
    assert right_edge_nodes(0) == []


def test_an_inclusion_plan_in_a_ragged_tree_names_the_ephemeral_node_to_fold() -> None:
    # Leaf 0 of 7: siblings are leaf 1, node [2,4), and the ephemeral node over [4,7),
    # which storage rebuilds from the perfect nodes [4,6) and [6,7).
    plan = inclusion_nodes(0, 7)
    assert plan.nodes == (NodeID(0, 1), NodeID(1, 1), NodeID(1, 2), NodeID(0, 6))
    assert (plan.begin, plan.end) == (2, 4)
    assert plan.proof_length == 3


def test_assembling_a_plan_from_the_wrong_number_of_hashes_is_an_error() -> None:
    plan = ProofNodes((NodeID(0, 1),), 0, 0)
    with pytest.raises(ProofLengthError):
        plan.assemble([])


def test_an_appender_given_the_wrong_number_of_edge_nodes_is_refused() -> None:
    with pytest.raises(TreeSizeError):
        MerkleAppender(3, [EMPTY_ROOT])


def test_an_appender_refuses_a_leaf_hash_of_the_wrong_size() -> None:
    with pytest.raises(HashSizeError):
        MerkleAppender().append(b"short")


def test_an_append_returns_the_leaf_and_every_node_it_completed() -> None:
    appender = MerkleAppender()
    appender.extend(hash_leaf(x) for x in LEAVES[:7])
    result = appender.append(hash_leaf(LEAVES[7]))
    assert [(n.level, n.index) for n in result.nodes] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert result.size == 8
    assert result.root == root_hash(LEAVES[:8]) == result.nodes[-1].hash
    assert [(n.level, n.index) for n in appender.right_edge] == [(3, 0)]
