"""The log writer: appends a unit of work's events to the Merkle log in its transaction.

Appending takes the log head's row lock (`advance_log`), which serialises appends across
processes, so sequence numbers are dense and in commit order. The tree's right edge is
extended tile by tile (C2SP tlog-tiles) from this process's cached edge when that still
matches the stored root, else from storage, checked. Before anything is signed, the tree
being extended must be consistent with the last signed checkpoint: the operator never
signs two inconsistent heads. A stored log that does not match itself raises
`LogIntegrityError`, and nothing is appended until an auditor has looked.

The unit of work decides when each step runs (`queue_advance` in its first round trip,
`prepare` between the two, `write` in the second), so that the log head is always the
first lock a writer takes.

May import: `openscf.domain` (events and errors), `openscf.trust` (hashing, tiles,
proofs, canonical encoding) and `openscf.store.dialect`. Not the identity map or the unit
of work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection

from openscf.domain.events import EventRecord, format_instant, record_to_data
from openscf.errors import InternalError
from openscf.store.dialect import Dialect
from openscf.trust.canonical import canonical_bytes
from openscf.trust.errors import TrustError
from openscf.trust.merkle import (
    EMPTY_ROOT,
    consistency_proof_from_nodes,
    hash_leaf,
    verify_consistency,
)
from openscf.trust.tiles import TileAppender, node_getter

__all__ = ["CheckpointSigner", "LogIntegrityError", "LogRows", "LogWriter", "forget_log_cache"]

# (size, root) -> signed note text and the signing instant (RFC 3339). Provided by the app,
# which holds the operator's log key.
CheckpointSigner = Callable[[int, bytes], tuple[str, str]]

# The log's right edge as this process last left it, per database: (size, root, hashes).
# Only a hint: it is used when it matches the log head read under the head's row lock.
_APPENDERS: dict[str, tuple[int, bytes, TileAppender]] = {}  # (size, root, appender)


def forget_log_cache() -> None:
    """Drop this process's cached right edges (as a newly started process would have)."""
    _APPENDERS.clear()


class LogIntegrityError(InternalError):
    """The system's: the stored log does not match itself or its signed checkpoints.
    Nothing is signed or appended until an auditor has looked."""

    code = "log_integrity_failure"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


@dataclass(frozen=True)
class LogRows:
    """What one append writes: events, their references, tiles, the new root and, when
    the unit of work signs, the checkpoint over it."""

    events: list[tuple[Any, ...]]
    refs: list[tuple[str, int, str]]
    tiles: list[tuple[int, int, int, bytes]]
    root: bytes
    checkpoint: tuple[int, bytes, str, str] | None


class LogWriter:
    """The log's append path within one transaction."""

    def __init__(
        self,
        connection: Connection,
        cursor: Any,
        dialect: Dialect,
        checkpoint_signer: CheckpointSigner | None = None,
    ) -> None:
        self.connection = connection
        self.cursor = cursor
        self.dialect = dialect
        self.checkpoint_signer = checkpoint_signer
        self._pending: list[EventRecord] = []
        self._logged: list[EventRecord] = []
        self._head: Any = None
        self._last: Any = None

    def append(self, records: Sequence[EventRecord]) -> None:
        """Queue events for the log; they get sequence numbers when the work commits."""
        self._pending.extend(records)

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    @property
    def logged(self) -> list[EventRecord]:
        """Events written so far, with their sequence numbers."""
        return self._logged

    def set_identity(self, origin: str, vkey: str) -> None:
        self.cursor.execute(self.dialect.set_log_identity, (origin, vkey))

    def checkpoint_now(self, signer: CheckpointSigner) -> int:
        """Sign a checkpoint for the current log head, if newer than the last one."""
        cur, d = self.cursor, self.dialect
        cur.execute(d.log_head)
        size, root = cur.fetchone()
        cur.execute(d.last_checkpoint)
        last = cur.fetchone()
        if size == 0:
            return 0
        self._check_extends_last_checkpoint(last, size, bytes(root))
        if last is not None and last[0] == size:
            return int(size)  # already signed, and still what was signed
        note, signed_at = signer(size, bytes(root))
        cur.execute(d.insert_checkpoint, (size, bytes(root), note, signed_at))
        return int(size)

    def queue_advance(self, driver: Any) -> None:
        """Queue the log head's advance (and the last checkpoint's read, when signing) on
        fresh cursors of the driver connection, inside the caller's first round trip."""
        if not self._pending:
            return
        self._head = driver.cursor()
        self._head.execute(self.dialect.advance_log, (len(self._pending),))
        if self.checkpoint_signer is not None:
            self._last = driver.cursor()
            self._last.execute(self.dialect.last_checkpoint)

    def prepare(self) -> LogRows | None:
        """After the advance: number the queued events, extend the tree, sign the new
        head if asked. Nothing is written yet; `write` does that."""
        if self._head is None:
            return None
        head, last = self._head, self._last
        self._head = self._last = None
        size, stored_root = head.fetchone()
        old_size = size - len(self._pending)
        old_root = EMPTY_ROOT if stored_root is None else bytes(stored_root)
        appender = self._appender(old_size, old_root)
        event_rows, ref_rows, leaf_hashes = self._event_rows(old_size + 1)
        if last is not None:
            self._check_extends_last_checkpoint(last.fetchone(), old_size, old_root)
        # The appender yields (level, index, width, hashes) rows as plain tuples.
        tile_rows = cast(
            list[tuple[int, int, int, bytes]], [tuple(w) for w in appender.extend(leaf_hashes)]
        )
        assert appender.size == size
        new_root = appender.root()
        checkpoint_row = None
        if self.checkpoint_signer is not None:
            note, signed_at = self.checkpoint_signer(size, new_root)
            checkpoint_row = (size, new_root, note, signed_at)
        self._remember_appender(appender, new_root)
        return LogRows(event_rows, ref_rows, tile_rows, new_root, checkpoint_row)

    def write(self, rows: LogRows) -> None:
        """Write what `prepare` computed, inside the caller's second round trip."""
        cur, d = self.cursor, self.dialect
        if rows.events:
            cur.executemany(d.insert_event, rows.events)
            cur.executemany(d.put_tile, rows.tiles)
            cur.execute(d.set_root, (rows.root,))
        if rows.checkpoint is not None:
            cur.execute(d.insert_checkpoint, rows.checkpoint)
        if rows.refs:
            cur.executemany(d.insert_ref, rows.refs)

    def _event_rows(
        self, first: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[str, int, str]], list[bytes]]:
        event_rows: list[tuple[Any, ...]] = []
        ref_rows: list[tuple[str, int, str]] = []
        leaf_hashes: list[bytes] = []
        for offset, record in enumerate(self._pending):
            seq = first + offset
            body = canonical_bytes(record_to_data(record))
            leaf = hash_leaf(body)
            leaf_hashes.append(leaf)
            event_rows.append(
                (
                    seq,
                    record.id,
                    record.event.TYPE,
                    record.org_id,
                    record.actor_id,
                    format_instant(record.occurred_at),
                    body,
                    leaf,
                )
            )
            ref_rows.extend((org, seq, "org") for org in record.event.parties())
            ref_rows.extend((rid, seq, "rcv") for rid in dict.fromkeys(record.event.subjects()))
            self._logged.append(
                EventRecord(
                    record.id, record.org_id, record.actor_id, record.occurred_at, record.event, seq
                )
            )
        self._pending = []
        return event_rows, ref_rows, leaf_hashes

    def _get_tile(self, level: int, index: int) -> bytes:
        cur = self.cursor
        cur.execute(self.dialect.get_tile, (level, index))
        row = cur.fetchone()
        if row is None:
            raise LogIntegrityError(f"the log is missing its tile at level {level} index {index}")
        return bytes(row[0])

    def _cache_key(self) -> str:
        return self.connection.engine.url.render_as_string(hide_password=True)

    def _appender(self, old_size: int, old_root: bytes) -> TileAppender:
        """The tree's partial tiles at `old_size`: from this process's cache when it
        matches the stored root, else read from storage (O(log n)) and checked."""
        cached = _APPENDERS.get(self._cache_key())
        if cached is not None and cached[0] == old_size and cached[1] == old_root:
            return cached[2].copy()
        try:
            appender = TileAppender.from_tiles(old_size, self._get_tile)
        except TrustError as exc:
            raise LogIntegrityError(f"the stored tiles are damaged: {exc}") from None
        if appender.root() != old_root:
            raise LogIntegrityError(
                f"the stored nodes of the log give a different root at size {old_size} than "
                "the log head records: the log storage was changed"
            )
        return appender

    def _remember_appender(self, appender: TileAppender, root: bytes) -> None:
        # A copy: the caller's appender may go on changing; the cache must not.
        _APPENDERS[self._cache_key()] = (appender.size, root, appender.copy())

    def _check_extends_last_checkpoint(
        self, last: tuple[int, bytes] | None, old_size: int, old_root: bytes
    ) -> None:
        """Refuse to sign unless the tree being extended is consistent with the last
        checkpoint the operator signed: the operator never signs two inconsistent heads."""
        if last is None:
            return
        size0, root0 = last[0], bytes(last[1])
        if size0 > old_size:
            raise LogIntegrityError(
                f"the last checkpoint covers {size0} events but the log holds {old_size}"
            )
        if size0 == old_size:
            if root0 != old_root:
                raise LogIntegrityError(
                    f"the log's root at size {old_size} differs from the "
                    "signed checkpoint: refusing to sign a fork"
                )
            return
        if size0 == 0:
            return
        try:
            proof = consistency_proof_from_nodes(size0, old_size, node_getter(self._get_tile))
            verify_consistency(size0, old_size, root0, old_root, proof)
        except TrustError as exc:
            raise LogIntegrityError(
                f"the log at size {old_size} is not an extension of the checkpoint at size "
                f"{size0}: refusing to sign ({exc})"
            ) from None
