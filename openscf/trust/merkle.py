"""RFC 9162 (section 2) Merkle tree hashing, proofs, proof verification and appending.

Hashing is SHA-256 with domain separation: a leaf hash is ``SHA-256(0x00 || data)`` and an
interior node is ``SHA-256(0x01 || left || right)``; the empty tree hashes to
``SHA-256("")``. Proofs list hashes from the bottom of the tree upwards, as in RFC 9162.

Node addressing (as in C2SP tlog-tiles and transparency-dev/merkle's compact ranges): a
*perfect* node at ``level`` L and ``index`` i is the root of the complete subtree over
leaves ``[i * 2**L, (i + 1) * 2**L)``; level 0 nodes are the leaf hashes. A tree of size n
is the perfect tree of size ``2**ceil(log2 n)`` with the missing nodes removed and every
node left with a single child replaced by that child. Its perfect nodes never change once
they exist, so a store can write each one once and read O(log n) of them per proof. The
nodes on the right edge of a non-full tree that are not perfect are *ephemeral*: a proof
that needs one gets it by hashing the perfect nodes under it (`ProofNodes`).

Verifiers raise a subclass of `InvalidProofError` instead of returning False, so a caller
cannot forget to look at the answer. A root of the wrong length is never rejected for its
length alone: it simply cannot match (`RootMismatchError`); leaf and proof hashes, which
are fed into SHA-256, must be exactly `HASH_SIZE` bytes (`HashSizeError`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .errors import (
    HashSizeError,
    IndexOutOfRangeError,
    ProofLengthError,
    RootMismatchError,
    TreeSizeError,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "AppendResult",
    "MerkleAppender",
    "NodeID",
    "ProofNodes",
    "StoredNode",
    "consistency_nodes",
    "consistency_proof",
    "consistency_proof_from_leaf_hashes",
    "consistency_proof_from_nodes",
    "hash_children",
    "hash_leaf",
    "inclusion_nodes",
    "inclusion_proof",
    "inclusion_proof_from_leaf_hashes",
    "inclusion_proof_from_nodes",
    "proof_from_nodes",
    "range_nodes",
    "right_edge_nodes",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "root_from_nodes",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32

# Why module-level aliases: these run once per node, millions of times for a big log, and
# a global lookup plus a bytes concatenation is measurably cheaper than attribute lookups
# or two `update` calls on a hash object.
_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = _sha256(b"").digest()

NodeGetter = Callable[[int, int], bytes]


def hash_leaf(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || data)`` of leaf *data*."""
    return _sha256(_LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``.

    No length check: callers that hash untrusted input check lengths first (the verifiers
    below do), and RFC test vectors hash short strings on purpose.
    """
    return _sha256(_NODE_PREFIX + left + right).digest()


class NodeID(NamedTuple):
    """A perfect node: the root of the complete subtree over ``[index << level, ...)``.

    A NamedTuple so a store can pass it straight to a DB driver as a key; the field
    ``index`` shadows `tuple.index`, which nobody needs here.
    """

    level: int
    index: int  # type: ignore[assignment]

    @property
    def begin(self) -> int:
        """First leaf index covered by this node."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf index covered by this node."""
        return (self.index + 1) << self.level


class StoredNode(NamedTuple):
    """A perfect node and its hash: a ready ``(level, index, hash)`` row for `executemany`.

    A NamedTuple rather than a dataclass: an append of a million leaves builds two million
    of these, and a NamedTuple is half the cost of a frozen dataclass.
    """

    level: int
    index: int  # type: ignore[assignment]
    hash: bytes

    @property
    def node(self) -> NodeID:
        """The node's address without its hash."""
        return NodeID(self.level, self.index)


# --- roots -------------------------------------------------------------------------------


def _leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    sha = _sha256
    prefix = _LEAF_PREFIX
    return [sha(prefix + data).digest() for data in leaves]


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the RFC 9162 root (MTH) of a tree whose leaf hashes are given in order.

    Preconditions: none on the hashes' lengths (they are hashed as given).
    Returns `EMPTY_ROOT` for an empty sequence.
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    sha = _sha256
    prefix = _NODE_PREFIX
    # Pairing level by level and promoting a lone last node unchanged builds exactly the
    # RFC 9162 tree: that lone node is the one RFC 9162 would place in a right subtree of
    # its own, whose hash it is.
    while len(level) > 1:
        paired = [
            sha(prefix + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) & 1:
            paired.append(level[-1])
        level = paired
    return level[0]


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """Return the RFC 9162 root (MTH) of the tree over leaf *data* ``leaves``."""
    return root_from_leaf_hashes(_leaf_hashes(leaves))


# --- node addressing ---------------------------------------------------------------------


def _check_size(size: int, what: str = "tree size") -> None:
    if size < 0:
        raise TreeSizeError(f"{what} must not be negative, got {size}")


def range_nodes(begin: int, end: int) -> list[NodeID]:
    """Return the perfect nodes that exactly cover leaves ``[begin, end)``, left to right.

    Preconditions: ``0 <= begin <= end``. The decomposition is the unique minimal one (a
    "compact range"): each node is as large as alignment allows.
    """
    if not 0 <= begin <= end:
        raise TreeSizeError(f"range [{begin}, {end}) is not a valid leaf range")
    nodes: list[NodeID] = []
    while begin < end:
        # The largest aligned block starting at `begin` that still fits before `end`.
        level = (end - begin).bit_length() - 1
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)
        nodes.append(NodeID(level, begin >> level))
        begin += 1 << level
    return nodes


def right_edge_nodes(size: int) -> list[NodeID]:
    """Return the perfect nodes covering ``[0, size)``, largest (leftmost) first.

    These are the nodes a `MerkleAppender` needs to resume a tree of this size, and the
    ones whose right-to-left fold is the tree's root (`root_from_nodes`).
    Preconditions: ``size >= 0``.
    """
    _check_size(size)
    return range_nodes(0, size)


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    # The RFC 9162 hash of a run of perfect subtrees of strictly decreasing size is the
    # right-nested fold: H(p0, H(p1, ... H(pk-1, pk))).
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = _sha256(_NODE_PREFIX + h + result).digest()
    return result


@dataclass(frozen=True, slots=True)
class ProofNodes:
    """The perfect nodes a proof needs, and how to turn their hashes into the proof.

    ``nodes`` lists the nodes to read, in proof order. The slice ``nodes[begin:end]`` (if
    longer than one node) covers one ephemeral node: its hashes are folded into a single
    proof hash. ``begin == end`` means the proof needs no ephemeral node.
    """

    nodes: tuple[NodeID, ...]
    begin: int
    end: int

    @property
    def proof_length(self) -> int:
        """Number of hashes in the assembled proof."""
        folded = self.end - self.begin
        return len(self.nodes) - folded + (1 if folded else 0)

    def assemble(self, hashes: Sequence[bytes]) -> list[bytes]:
        """Build the proof from the hashes of ``nodes``, given in the same order.

        Preconditions: ``len(hashes) == len(nodes)``; each hash is that node's hash. This
        is the entry point for a store that fetched all the nodes in one query.
        """
        if len(hashes) != len(self.nodes):
            raise ProofLengthError(f"got {len(hashes)} node hashes for {len(self.nodes)} nodes")
        if self.end - self.begin <= 1:
            return list(hashes)
        proof = list(hashes[: self.begin])
        proof.append(_fold_right(hashes[self.begin : self.end]))
        proof.extend(hashes[self.end :])
        return proof


def _path_nodes(level: int, index: int, size: int) -> ProofNodes:
    # Siblings of the path from perfect node (level, index) to the root of a tree of `size`
    # leaves. A left sibling is always perfect; a right sibling is perfect, ephemeral (it
    # straddles `size`) or absent (it starts at or past `size`: our node is promoted).
    nodes: list[NodeID] = []
    begin = end = 0
    top = (size - 1).bit_length()
    while level < top:
        sibling = index ^ 1
        start = sibling << level
        if start < size:
            stop = start + (1 << level)
            if stop <= size:
                nodes.append(NodeID(level, sibling))
            else:
                # At most one ephemeral node can occur: above it our node reaches `size`,
                # so every later right sibling is absent.
                begin = len(nodes)
                nodes.extend(range_nodes(start, size))
                end = len(nodes)
        level += 1
        index >>= 1
    return ProofNodes(tuple(nodes), begin, end)


def inclusion_nodes(index: int, size: int) -> ProofNodes:
    """Return the nodes needed for the inclusion proof of leaf ``index`` in a tree of ``size``.

    Preconditions: ``0 <= index < size``, else `IndexOutOfRangeError`.
    Reads needed: at most ``2 * ceil(log2 size)`` nodes.
    """
    _check_size(size)
    if not 0 <= index < size:
        raise IndexOutOfRangeError(f"leaf index {index} is not in a tree of size {size}")
    return _path_nodes(0, index, size)


def _last_subtree(old_size: int) -> NodeID:
    # The largest perfect node ending exactly at old_size: the one leaf-side corner the old
    # and new trees share, from which both roots can be rebuilt.
    level = (old_size & -old_size).bit_length() - 1
    return NodeID(level, (old_size >> level) - 1)


def consistency_nodes(old_size: int, new_size: int) -> ProofNodes:
    """Return the nodes needed for the consistency proof from ``old_size`` to ``new_size``.

    Preconditions: ``0 < old_size <= new_size``; ``old_size == new_size`` gives an empty
    plan. ``old_size == 0`` raises `TreeSizeError`: a proof from the empty tree proves
    nothing (the witness protocol sends no proof in that case), and `verify_consistency`
    refuses it too.
    """
    _check_size(old_size, "old size")
    if old_size > new_size:
        raise TreeSizeError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == 0:
        raise TreeSizeError("a consistency proof from the empty tree is meaningless")
    if old_size == new_size:
        return ProofNodes((), 0, 0)
    corner = _last_subtree(old_size)
    path = _path_nodes(corner.level, corner.index, new_size)
    if corner.index == 0:
        # old_size is a power of two: the corner is the old root, which the verifier has.
        return path
    # Otherwise the corner leads the proof, so the ephemeral slice (if any) moves by one.
    if path.begin == path.end:
        return ProofNodes((corner, *path.nodes), 0, 0)
    return ProofNodes((corner, *path.nodes), path.begin + 1, path.end + 1)


def proof_from_nodes(plan: ProofNodes, get_node: NodeGetter) -> list[bytes]:
    """Assemble a proof by calling ``get_node(level, index)`` for each node of ``plan``.

    Preconditions: ``get_node`` returns the stored hash of a perfect node (level 0 = leaf
    hash). Whatever it raises for a missing node propagates unchanged.
    """
    return plan.assemble([get_node(node.level, node.index) for node in plan.nodes])


def inclusion_proof_from_nodes(index: int, size: int, get_node: NodeGetter) -> list[bytes]:
    """Inclusion proof for leaf ``index`` in a tree of ``size``, read from stored nodes.

    Preconditions: as `inclusion_nodes` and `proof_from_nodes`.
    """
    return proof_from_nodes(inclusion_nodes(index, size), get_node)


def consistency_proof_from_nodes(old_size: int, new_size: int, get_node: NodeGetter) -> list[bytes]:
    """Consistency proof from ``old_size`` to ``new_size``, read from stored nodes.

    Preconditions: as `consistency_nodes` and `proof_from_nodes`.
    """
    return proof_from_nodes(consistency_nodes(old_size, new_size), get_node)


def root_from_nodes(size: int, get_node: NodeGetter) -> bytes:
    """The root of the tree of ``size`` leaves, from its O(log n) right-edge stored nodes.

    Preconditions: ``size >= 0``; ``get_node`` as in `proof_from_nodes`.
    """
    edge = right_edge_nodes(size)
    if not edge:
        return EMPTY_ROOT
    return _fold_right([get_node(node.level, node.index) for node in edge])


# --- proofs from a full list of leaves --------------------------------------------------


def _perfect_hash(leaf_hashes: Sequence[bytes], node: NodeID) -> bytes:
    level = leaf_hashes[node.begin : node.end]
    sha = _sha256
    prefix = _NODE_PREFIX
    while len(level) > 1:
        level = [sha(prefix + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def _from_leaf_hashes(plan: ProofNodes, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    return plan.assemble([_perfect_hash(leaf_hashes, node) for node in plan.nodes])


def inclusion_proof_from_leaf_hashes(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Inclusion proof for leaf ``index`` in the tree over ``leaf_hashes``.

    Preconditions: ``0 <= index < len(leaf_hashes)``, else `IndexOutOfRangeError`.
    """
    return _from_leaf_hashes(inclusion_nodes(index, len(leaf_hashes)), leaf_hashes)


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 PATH: the inclusion proof for leaf ``index`` in the tree over leaf *data*.

    Preconditions: ``0 <= index < len(leaves)``, else `IndexOutOfRangeError`.
    """
    return inclusion_proof_from_leaf_hashes(index, _leaf_hashes(leaves))


def consistency_proof_from_leaf_hashes(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Consistency proof from the first ``old_size`` leaves to all of ``leaf_hashes``.

    Preconditions: ``0 < old_size <= len(leaf_hashes)`` (see `consistency_nodes`).
    """
    return _from_leaf_hashes(consistency_nodes(old_size, len(leaf_hashes)), leaf_hashes)


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 PROOF: consistency from the first ``old_size`` leaves to all ``leaves`` (data).

    Preconditions: ``0 < old_size <= len(leaves)``, else `TreeSizeError`; equal sizes give
    an empty proof.
    """
    return consistency_proof_from_leaf_hashes(old_size, _leaf_hashes(leaves))


# --- verification ------------------------------------------------------------------------


def _check_hashes(proof: Sequence[bytes]) -> None:
    for position, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise HashSizeError(f"proof hash {position} is {len(h)} bytes, want {HASH_SIZE}")


def _chain(level_index: int, seed: bytes, proof: Sequence[bytes], inner: int) -> bytes:
    # Below `inner` the path may have siblings on either side (bit 0: we are the left
    # child); above it the path runs along the right edge, so every sibling is on the left.
    sha = _sha256
    prefix = _NODE_PREFIX
    h = seed
    for k in range(inner):
        if (level_index >> k) & 1:
            h = sha(prefix + proof[k] + h).digest()
        else:
            h = sha(prefix + h + proof[k]).digest()
    for k in range(inner, len(proof)):
        h = sha(prefix + proof[k] + h).digest()
    return h


def _path_shape(index: int, last: int) -> tuple[int, int]:
    # `last` is the index of the tree's last node on this level. Paths to `index` and to
    # `last` part at bit `inner - 1`; above that, one left sibling per set bit of index.
    inner = (index ^ last).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """Return the root that ``proof`` implies for leaf ``index`` with ``leaf_hash``.

    Preconditions: ``0 <= index < size`` (`IndexOutOfRangeError`); ``leaf_hash`` and each
    proof hash are `HASH_SIZE` bytes (`HashSizeError`); ``len(proof)`` is exactly the
    length the tree shape demands (`ProofLengthError`).
    """
    _check_size(size)
    if not 0 <= index < size:
        raise IndexOutOfRangeError(f"leaf index {index} is not in a tree of size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise HashSizeError(f"leaf hash is {len(leaf_hash)} bytes, want {HASH_SIZE}")
    inner, border = _path_shape(index, size - 1)
    if len(proof) != inner + border:
        raise ProofLengthError(
            f"inclusion proof for leaf {index} of {size} has {len(proof)} hashes, "
            f"want {inner + border}"
        )
    _check_hashes(proof)
    return _chain(index, leaf_hash, proof, inner)


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``proof`` shows leaf ``index`` (hash ``leaf_hash``) in the tree with ``root``.

    Preconditions: as `root_from_inclusion_proof`. Raises `RootMismatchError` when the
    recomputed root differs from ``root``; returns None on success.
    """
    calculated = root_from_inclusion_proof(index, size, leaf_hash, proof)
    if calculated != root:
        raise RootMismatchError(
            f"inclusion proof for leaf {index} of {size} leads to a different root",
            expected=bytes(root),
            calculated=calculated,
        )


def root_from_consistency_proof(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> bytes:
    """Check ``proof`` against ``old_root`` and return the new root it implies.

    Preconditions: ``0 < old_size <= new_size`` (`TreeSizeError`; a proof from size 0 is
    refused as meaningless); for equal sizes the proof is empty and ``old_root`` is
    returned; otherwise ``len(proof)`` is exactly what the sizes demand
    (`ProofLengthError`) and each hash is `HASH_SIZE` bytes (`HashSizeError`). Raises
    `RootMismatchError` if the proof does not lead to ``old_root``.
    """
    _check_size(old_size, "old size")
    if old_size > new_size:
        raise TreeSizeError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == 0:
        raise TreeSizeError("a consistency proof from the empty tree is meaningless")
    if old_size == new_size:
        if proof:
            raise ProofLengthError(f"sizes are equal ({old_size}) but the proof is not empty")
        return bytes(old_root)
    corner = _last_subtree(old_size)
    inner, border = _path_shape(corner.index, (new_size - 1) >> corner.level)
    # When old_size is a power of two the corner *is* the old root and is not sent.
    head = 0 if corner.index == 0 else 1
    if len(proof) != head + inner + border:
        raise ProofLengthError(
            f"consistency proof from {old_size} to {new_size} has {len(proof)} hashes, "
            f"want {head + inner + border}"
        )
    _check_hashes(proof)
    seed = old_root if head == 0 else proof[0]
    path = proof[head:]

    # The old root is rebuilt from the left siblings only: right siblings are leaves that
    # the old tree did not have yet.
    sha = _sha256
    prefix = _NODE_PREFIX
    old = seed
    for k in range(inner):
        if (corner.index >> k) & 1:
            old = sha(prefix + path[k] + old).digest()
    for k in range(inner, len(path)):
        old = sha(prefix + path[k] + old).digest()
    if old != old_root:
        raise RootMismatchError(
            f"consistency proof from {old_size} to {new_size} does not lead to the old root",
            expected=bytes(old_root),
            calculated=old,
        )
    return _chain(corner.index, seed, path, inner)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree with ``new_root`` extends the tree with ``old_root``.

    Preconditions: as `root_from_consistency_proof`. Raises `RootMismatchError` when either
    recomputed root differs; returns None on success. For ``old_size == new_size`` the
    roots are compared byte for byte and no length is imposed on them.
    """
    calculated = root_from_consistency_proof(old_size, new_size, old_root, proof)
    if calculated != new_root:
        raise RootMismatchError(
            f"consistency proof from {old_size} to {new_size} does not lead to the new root",
            expected=bytes(new_root),
            calculated=calculated,
        )


# --- appending ---------------------------------------------------------------------------


class AppendResult(NamedTuple):
    """What an append produced: the new size and root, and the perfect nodes to store."""

    size: int
    root: bytes
    nodes: list[StoredNode]


class MerkleAppender:
    """Append leaf hashes to a tree held as its right edge (a compact range over [0, size)).

    A store keeps every perfect node; to append it loads only the right edge
    (`right_edge_nodes(size)`, O(log n) reads, see `from_nodes`), appends, and writes the
    returned `StoredNode`s (each leaf at level 0 plus every node the leaf completed).
    Amortised cost per leaf: two hashes, plus O(log n) to compute the root once per call.
    """

    __slots__ = ("_edge", "_size")

    def __init__(self, size: int = 0, right_edge: Sequence[bytes] = ()) -> None:
        """Resume a tree of ``size`` leaves from the hashes of `right_edge_nodes(size)`.

        Preconditions: ``size >= 0`` and ``len(right_edge) == size.bit_count()`` (one hash
        per set bit of size, largest subtree first), else `TreeSizeError`; each hash is
        `HASH_SIZE` bytes, else `HashSizeError`.
        """
        _check_size(size)
        if len(right_edge) != size.bit_count():
            raise TreeSizeError(
                f"a tree of size {size} has {size.bit_count()} right-edge nodes, "
                f"got {len(right_edge)}"
            )
        _check_hashes(right_edge)
        self._size = size
        # Levels strictly decrease along the edge: the set bits of size, high to low.
        levels = [node.level for node in right_edge_nodes(size)]
        self._edge: list[tuple[int, bytes]] = list(zip(levels, right_edge, strict=True))

    @classmethod
    def from_nodes(cls, size: int, get_node: NodeGetter) -> MerkleAppender:
        """Resume a tree of ``size`` leaves by reading its right-edge nodes from storage."""
        edge = right_edge_nodes(size)
        return cls(size, [get_node(node.level, node.index) for node in edge])

    @property
    def size(self) -> int:
        """Number of leaves appended so far (including those the appender resumed from)."""
        return self._size

    @property
    def right_edge(self) -> list[StoredNode]:
        """The current right-edge nodes with their hashes, largest first."""
        return [
            StoredNode(node.level, node.index, h)
            for node, (_, h) in zip(right_edge_nodes(self._size), self._edge, strict=True)
        ]

    def root(self) -> bytes:
        """The root of the tree as it stands (`EMPTY_ROOT` if empty)."""
        if not self._edge:
            return EMPTY_ROOT
        return _fold_right([h for _, h in self._edge])

    def _push_all(self, leaf_hashes: Iterable[bytes], out: list[StoredNode]) -> None:
        # One tight loop with everything in locals: this runs once per logged event.
        edge = self._edge
        emit = out.append
        node = StoredNode
        sha = _sha256
        prefix = _NODE_PREFIX
        size = self._size
        try:
            for leaf_hash in leaf_hashes:
                if len(leaf_hash) != HASH_SIZE:
                    raise HashSizeError(f"leaf hash is {len(leaf_hash)} bytes, want {HASH_SIZE}")
                emit(node(0, size, leaf_hash))
                h = leaf_hash
                index = size
                # Like carrying in a binary counter: each trailing 1 bit of the old size is
                # a right-edge node of our level, our left sibling; merging the pair
                # completes a perfect node one level up.
                carries = (~size & (size + 1)).bit_length() - 1
                for level in range(1, carries + 1):
                    h = sha(prefix + edge.pop()[1] + h).digest()
                    index >>= 1
                    emit(node(level, index, h))
                edge.append((carries, h))
                size += 1
        finally:
            self._size = size

    def append(self, leaf_hash: bytes) -> AppendResult:
        """Append one leaf hash; return the new size, root and nodes to store.

        Preconditions: ``len(leaf_hash) == HASH_SIZE`` (`HashSizeError`).
        """
        out: list[StoredNode] = []
        self._push_all((leaf_hash,), out)
        return AppendResult(self._size, self.root(), out)

    def extend(self, leaf_hashes: Iterable[bytes]) -> AppendResult:
        """Append leaf hashes in order; return the new size, root and nodes to store.

        Preconditions: each hash is `HASH_SIZE` bytes (`HashSizeError`). On error the
        leaves before the bad one stay appended; a store should discard the appender (and
        roll back its transaction) rather than reuse it.
        """
        out: list[StoredNode] = []
        self._push_all(leaf_hashes, out)
        return AppendResult(self._size, self.root(), out)
