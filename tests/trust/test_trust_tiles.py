"""Tiled storage gives the same roots and proofs as the plain tree, at any growth pattern."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openscf.trust.errors import HashSizeError, TreeSizeError
from openscf.trust.merkle import (
    consistency_proof,
    consistency_proof_from_nodes,
    hash_leaf,
    inclusion_proof,
    inclusion_proof_from_nodes,
    root_hash,
)
from openscf.trust.tiles import TILE_WIDTH, TileAppender, node_getter, subtree_hash


def _grow(sizes: list[int]) -> tuple[list[bytes], dict[tuple[int, int], bytes], TileAppender]:
    leaves: list[bytes] = []
    store: dict[tuple[int, int], bytes] = {}
    appender = TileAppender()
    for n in sizes:
        batch = [b"leaf %d" % (len(leaves) + i) for i in range(n)]
        leaves.extend(batch)
        for write in appender.extend([hash_leaf(x) for x in batch]):
            assert write.width == len(write.hashes) // 32
            store[(write.level, write.index)] = write.hashes
        assert appender.root() == root_hash(leaves)
    return leaves, store, appender


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([1, 2, 3, 255, 256, 257, 1000]), min_size=1, max_size=40))
def test_roots_from_tiles_match_the_reference_after_any_growth(sizes: list[int]) -> None:
    leaves, store, appender = _grow(sizes)
    resumed = TileAppender.from_tiles(len(leaves), lambda k, i: store[(k, i)])
    assert resumed.root() == appender.root() == root_hash(leaves)


def test_proofs_from_tiles_equal_proofs_from_all_leaves() -> None:
    leaves, store, _ = _grow([70_000])
    size = len(leaves)
    get = node_getter(lambda k, i: store[(k, i)])
    for index in (0, 1, 255, 256, 65_535, 65_536, size - 1, 12_345):
        assert inclusion_proof_from_nodes(index, size, get) == inclusion_proof(index, leaves)
    for old in (1, 256, 1_000, 65_536, 69_999):
        assert consistency_proof_from_nodes(old, size, get) == consistency_proof(old, leaves)


def test_a_full_tile_is_written_once_and_the_partial_one_grows() -> None:
    _, store, appender = _grow([TILE_WIDTH + 3])
    assert len(store[(0, 0)]) == TILE_WIDTH * 32
    assert len(store[(0, 1)]) == 3 * 32
    assert len(store[(1, 0)]) == 32  # the full tile's root, one level up
    writes = appender.extend([hash_leaf(b"more")])
    assert [(w.level, w.index, w.width) for w in writes] == [(0, 1, 4)]


def test_a_resume_with_the_wrong_partial_tiles_is_refused() -> None:
    _, store, _ = _grow([300])
    with pytest.raises(TreeSizeError):
        TileAppender(300, [store[(0, 1)][:-32], store[(1, 0)]])
    with pytest.raises(TreeSizeError):
        TileAppender(300, [store[(0, 1)]])
    with pytest.raises(HashSizeError):
        TileAppender(300, [store[(0, 1)][:-1], store[(1, 0)]])


def test_subtrees_need_a_power_of_two_width() -> None:
    with pytest.raises(TreeSizeError):
        subtree_hash([b"\0" * 32] * 3)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.sampled_from([1, 2, 255, 256, 300]), min_size=1, max_size=12),
    st.lists(st.sampled_from([1, 3, 254, 256]), min_size=1, max_size=6),
)
def test_a_copy_grows_independently_of_its_original(before: list[int], after: list[int]) -> None:
    leaves, _, original = _grow(before)
    root, size, partials = original.root(), original.size, original.partials
    twin = original.copy()
    more = [b"more %d" % i for i in range(sum(after))]
    for n, start in zip(after, [sum(after[:i]) for i in range(len(after))], strict=True):
        twin.extend([hash_leaf(x) for x in more[start : start + n]])
    # The twin is the tree with the extra leaves; the original did not move.
    assert twin.root() == root_hash(leaves + more)
    assert (original.root(), original.size, original.partials) == (root, size, partials)
    original.extend([hash_leaf(b"other")])
    assert original.root() == root_hash([*leaves, b"other"])
