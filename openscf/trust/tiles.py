"""Tiled storage of a Merkle tree (the layout of C2SP tlog-tiles, in a database).

A tile of tile-level ``k`` holds up to 256 consecutive hashes of perfect subtrees of
height ``8k``: tile-level 0 holds leaf hashes, tile-level 1 the roots of each run of 256
leaves, and so on. Tile ``(k, i)`` holds entries ``[256 i, 256 i + width)`` of its level.
Full tiles never change; the last tile of each level is partial and is rewritten as the
log grows (same key, larger width).

Why tiles rather than one row per node: an append writes about one row per 256 leaves
instead of two rows per leaf, and any node hash is recomputed from at most one tile
(at most 255 hashes). A proof at 10^7 leaves reads three or four tiles.

Every node of the tree is addressed as in `openscf.trust.merkle` (``NodeID``): node
``(h, j)`` with ``h = 8k + r`` is the root of entries ``[j 2^r, (j+1) 2^r)`` of
tile-level ``k``. So `node_getter` plugs tiles into the merkle module's proof plans.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from .errors import HashSizeError, TreeSizeError
from .merkle import EMPTY_ROOT, HASH_SIZE

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileAppender",
    "TileGetter",
    "TileWrite",
    "node_getter",
    "subtree_hash",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT

_sha256 = hashlib.sha256
_NODE = b"\x01"

# (tile level, tile index) -> the tile's concatenated hashes (width * 32 bytes).
TileGetter = Callable[[int, int], bytes]


class TileWrite(NamedTuple):
    """A tile to store (insert, or replace the partial tile with the same key)."""

    level: int
    index: int  # type: ignore[assignment]
    width: int
    hashes: bytes


def subtree_hash(hashes: Sequence[bytes]) -> bytes:
    """Root of the perfect subtree over ``hashes`` (a power-of-two count of node hashes).

    Preconditions: ``len(hashes)`` is a power of two (else `TreeSizeError`).
    """
    count = len(hashes)
    if count == 0 or count & (count - 1):
        raise TreeSizeError(f"a perfect subtree has a power-of-two width, not {count}")
    row = list(hashes)
    sha, node = _sha256, _NODE
    while len(row) > 1:
        row = [sha(node + row[i] + row[i + 1]).digest() for i in range(0, len(row), 2)]
    return row[0]


def _split(blob: bytes) -> list[bytes]:
    if len(blob) % HASH_SIZE:
        raise HashSizeError(f"a tile of {len(blob)} bytes is not a whole number of hashes")
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


def _fold(hashes: Sequence[bytes]) -> bytes:
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = _sha256(_NODE + h + result).digest()
    return result


class TileAppender:
    """Append leaf hashes to a tiled tree kept as its partial (right-edge) tiles."""

    __slots__ = ("_edges", "_partials", "_size")

    def __init__(self, size: int = 0, partials: Sequence[bytes] = ()) -> None:
        """Resume a tree of ``size`` leaves from its partial tiles, tile-level 0 first.

        Preconditions: one blob per tile-level that has entries (``size >> 8k > 0``), each
        holding exactly ``(size >> 8k) % 256`` hashes (`TreeSizeError` otherwise).
        """
        if size < 0:
            raise TreeSizeError("tree size cannot be negative")
        self._size = size
        self._partials: list[list[bytes]] = []
        levels = self.levels(size)
        if len(partials) != levels:
            raise TreeSizeError(
                f"a tree of {size} leaves has {levels} tile levels, "
                f"got {len(partials)} partial tiles"
            )
        for k, blob in enumerate(partials):
            hashes = _split(blob)
            if len(hashes) != (size >> (TILE_HEIGHT * k)) % TILE_WIDTH:
                raise TreeSizeError(
                    f"partial tile at level {k} has {len(hashes)} hashes, "
                    f"want {(size >> (TILE_HEIGHT * k)) % TILE_WIDTH}"
                )
            self._partials.append(hashes)
        # Per tile-level, the compact range of the partial tile's entries: (height, hash)
        # pairs of strictly decreasing height. Kept up to date on every append, so the
        # root costs O(log n) hashes instead of rehashing whole partial tiles.
        self._edges: list[list[tuple[int, bytes]]] = [
            self._edge_of(tile) for tile in self._partials
        ]

    @staticmethod
    def _edge_of(entries: Sequence[bytes]) -> list[tuple[int, bytes]]:
        edge: list[tuple[int, bytes]] = []
        for h in entries:
            TileAppender._push(edge, h)
        return edge

    @staticmethod
    def _push(edge: list[tuple[int, bytes]], h: bytes) -> bytes | None:
        """Add an entry to a tile's compact range; returns the tile's root when full."""
        height = 0
        while edge and edge[-1][0] == height:
            h = _sha256(_NODE + edge.pop()[1] + h).digest()
            height += 1
        if height == TILE_HEIGHT:
            return h
        edge.append((height, h))
        return None

    @staticmethod
    def levels(size: int) -> int:
        """Tile levels that hold at least one entry in a tree of ``size`` leaves."""
        count = 0
        while size >> (TILE_HEIGHT * count):
            count += 1
        return count

    @staticmethod
    def partial_tiles(size: int) -> list[tuple[int, int, int]]:
        """(tile level, tile index, width) of each partial tile of a tree of ``size``."""
        out = []
        for k in range(TileAppender.levels(size)):
            entries = size >> (TILE_HEIGHT * k)
            out.append((k, entries // TILE_WIDTH, entries % TILE_WIDTH))
        return out

    @classmethod
    def from_tiles(cls, size: int, get_tile: TileGetter) -> TileAppender:
        """Resume by reading the partial tiles (O(log n) reads; empty ones are not read)."""
        blobs = [
            get_tile(k, index) if width else b"" for k, index, width in cls.partial_tiles(size)
        ]
        return cls(size, blobs)

    @property
    def size(self) -> int:
        return self._size

    @property
    def partials(self) -> list[bytes]:
        return [b"".join(p) for p in self._partials]

    def copy(self) -> TileAppender:
        """An independent appender at the same size, without rehashing the partial tiles
        (the inner lists are copied; their items, bytes and tuples, are immutable)."""
        twin = TileAppender.__new__(TileAppender)
        twin._size = self._size
        twin._partials = [list(p) for p in self._partials]
        twin._edges = [list(e) for e in self._edges]
        return twin

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[TileWrite]:
        """Append leaf hashes; return the tiles to write, each changed tile once.

        Preconditions: each hash is `HASH_SIZE` bytes (`HashSizeError`, raised before
        anything is appended).
        """
        leaves = leaf_hashes if isinstance(leaf_hashes, list) else list(leaf_hashes)
        for leaf in leaves:
            if len(leaf) != HASH_SIZE:
                raise HashSizeError(f"leaf hash is {len(leaf)} bytes, want {HASH_SIZE}")
        touched: dict[tuple[int, int], bytes | None] = {}  # key -> full blob, or None
        if not self._partials:
            self._partials.append([])
            self._edges.append([])
        pos, count = 0, len(leaves)
        while pos < count:
            tile = self._partials[0]
            index = self._size // TILE_WIDTH
            room = TILE_WIDTH - len(tile)
            if count - pos >= room:
                # Bulk path: the chunk completes a leaf tile. Hash the whole tile in one
                # go (255 hashes per 256 leaves) instead of carrying leaf by leaf.
                full = tile + leaves[pos : pos + room]
                touched[(0, index)] = b"".join(full)
                self._size += room
                pos += room
                self._partials[0] = []
                self._edges[0] = []
                self._carry(subtree_hash(full), touched)
            else:
                edge = self._edges[0]
                for leaf in leaves[pos:]:
                    tile.append(leaf)
                    self._push(edge, leaf)
                self._size += count - pos
                touched[(0, index)] = None
                pos = count
        writes = []
        for (k, index), full_blob in touched.items():
            if full_blob is not None:
                writes.append(TileWrite(k, index, TILE_WIDTH, full_blob))
            elif self._partials[k]:
                blob = b"".join(self._partials[k])
                writes.append(TileWrite(k, index, len(blob) // HASH_SIZE, blob))
        return writes

    def _carry(self, h: bytes, touched: dict[tuple[int, int], bytes | None]) -> None:
        """A leaf tile just completed with root `h`: add it one tile-level up, carrying on
        while tiles fill (like a carry in a base-256 counter)."""
        partials, edges = self._partials, self._edges
        k = 1
        while True:
            if len(partials) == k:
                partials.append([])
                edges.append([])
            position = (self._size >> (TILE_HEIGHT * k)) - 1  # this entry's index
            key = (k, position // TILE_WIDTH)
            partials[k].append(h)
            full_root = self._push(edges[k], h)
            if full_root is None:
                touched[key] = None
                return
            touched[key] = b"".join(partials[k])
            partials[k] = []
            h = full_root
            k += 1

    def root(self) -> bytes:
        """The tree's root hash, from the partial tiles' compact ranges."""
        if self._size == 0:
            return EMPTY_ROOT
        edge = [h for k in range(len(self._edges) - 1, -1, -1) for _, h in self._edges[k]]
        return _fold(edge)


def node_getter(get_tile: TileGetter) -> Callable[[int, int], bytes]:
    """A ``get_node(level, index)`` over stored tiles, caching tiles for one proof."""
    cache: dict[tuple[int, int], list[bytes]] = {}

    def get_node(level: int, index: int) -> bytes:
        k, r = divmod(level, TILE_HEIGHT)
        first = index << r
        key = (k, first // TILE_WIDTH)
        tile = cache.get(key)
        if tile is None:
            tile = _split(get_tile(*key))
            cache[key] = tile
        offset = first % TILE_WIDTH
        if offset + (1 << r) > len(tile):
            raise TreeSizeError(f"node ({level}, {index}) is not complete in the stored tiles")
        return subtree_hash(tile[offset : offset + (1 << r)])

    return get_node
