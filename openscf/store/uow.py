"""The unit of work: one database transaction per command (or per batch of commands).

`DbState` implements the domain's `State` over the open transaction with an identity map:
each record is read from the database at most once per transaction; writes (`put`) are
collected and flushed at the end, sorted into one global order (so two transactions never
wait on each other in a cycle) and guarded by optimistic version checks, so a record
changed by a concurrent transaction raises `ConcurrencyConflict` instead of being
overwritten. Events go to the log in the same transaction, after the records.

Why raw DBAPI cursors with prepared SQL text: this is the hot path of every command, and
SQLAlchemy's statement construction costs more than SQLite's execution. Table shapes
still come from `tables.py`; only the per-call overhead is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import IntegrityError, OperationalError

from openscf.domain.errors import ConcurrencyConflict, OpenSCFError
from openscf.domain.events import EventRecord, format_instant, record_to_data
from openscf.domain.invoice_number import exact_invoice_number_key
from openscf.domain.model import (
    Approval,
    Credit,
    Dispute,
    EarlyPaymentOffer,
    Exposure,
    FinancingOffer,
    FinancingRequest,
    Invoice,
    Organisation,
    OrgKey,
    Program,
    Receivable,
    Relationship,
    User,
)
from openscf.domain.state import Record
from openscf.store.mapping import (
    TABLE_OF,
    key_of,
    record_to_row,
    values_to_record,
)
from openscf.trust.canonical import canonical_bytes
from openscf.trust.errors import TrustError
from openscf.trust.merkle import (
    EMPTY_ROOT,
    consistency_proof_from_nodes,
    hash_leaf,
    verify_consistency,
)
from openscf.trust.tiles import TileAppender, node_getter

__all__ = ["CheckpointSigner", "DbState", "LogIntegrityError", "UnitOfWork", "forget_log_cache",
           "unit_of_work"]

# (size, root) -> signed note text and the signing instant (RFC 3339). Provided by the app,
# which holds the operator's log key.
CheckpointSigner = Callable[[int, bytes], tuple[str, str]]

# The log's right edge as this process last left it, per database: (size, root, hashes).
# Only a hint: it is used when it matches the log head read under the head's row lock.
_APPENDERS: dict[str, tuple[int, bytes, TileAppender]] = {}  # (size, root, appender)


def forget_log_cache() -> None:
    """Drop this process's cached right edges (as a newly started process would have)."""
    _APPENDERS.clear()


class LogIntegrityError(OpenSCFError):
    """The stored log does not match itself or its signed checkpoints. Nothing is signed
    or appended until an auditor has looked."""

    type = "api_error"

    def __init__(self, message: str) -> None:
        super().__init__("log_integrity_failure", message)

_MISSING = object()
_PREFIX_TABLE: dict[str, type[Any]] = {
    "org": Organisation, "usr": User, "prg": Program, "inv": Invoice, "rcv": Receivable,
    "fin": FinancingRequest, "ofr": FinancingOffer, "epo": EarlyPaymentOffer, "apr": Approval,
    "key": OrgKey, "crd": Credit, "dsp": Dispute,
}


@dataclass(frozen=True)
class _TableSql:
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    select_by_key: str
    select_in_prefix: str
    insert: str
    update: str
    update_columns: tuple[str, ...]
    key_positions: tuple[int, ...]
    version_position: int


def _table_sql(table: Table, mark: str) -> _TableSql:
    columns = tuple(c.name for c in table.columns)
    keys = tuple(c.name for c in table.primary_key.columns)
    cols = ", ".join(columns)
    where = " AND ".join(f"{k} = {mark}" for k in keys)
    update_columns = tuple(c for c in columns if c not in keys and c != "version")
    sets = ", ".join(f"{c} = {mark}" for c in (*update_columns, "version"))
    return _TableSql(
        columns=columns,
        keys=keys,
        select_by_key=f"SELECT {cols} FROM {table.name} WHERE {where}",
        select_in_prefix=f"SELECT {cols} FROM {table.name} WHERE {keys[0]} IN ",
        insert=f"INSERT INTO {table.name} ({cols}) VALUES ({', '.join([mark] * len(columns))})",
        update=f"UPDATE {table.name} SET {sets} WHERE {where} AND version = {mark}",
        update_columns=update_columns,
        key_positions=tuple(columns.index(k) for k in keys),
        version_position=columns.index("version"),
    )


class _Dialect:
    """Prepared SQL for one DBAPI paramstyle, built once per process."""

    _cache: dict[str, _Dialect] = {}

    def __init__(self, name: str) -> None:
        self.name = name
        self.mark = "?" if name == "sqlite" else "%s"
        # SQLite stores DATE as ISO text; psycopg adapts date objects itself.
        self.dates_as_text = name == "sqlite"
        self.tables = {cls: _table_sql(table, self.mark) for cls, table in TABLE_OF.items()}
        m = self.mark
        self.invoice_by_number = (
            f"SELECT {', '.join(self.tables[Invoice].columns)} FROM invoices "
            f"WHERE anchor_id = {m} AND supplier_id = {m} AND number_key = {m}")
        u, o = self.tables[User].columns, self.tables[Organisation].columns
        self.actor = (
            f"SELECT {', '.join('u.' + c for c in u)}, {', '.join('o.' + c for c in o)} "
            f"FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.id = {m}")
        self.idempotency_get = f"SELECT request_hash, response FROM idempotency WHERE key = {m}"
        self.idempotency_in = "SELECT key, request_hash, response FROM idempotency WHERE key IN "
        self.idempotency_put = f"INSERT INTO idempotency VALUES ({m}, {m}, {m}, {m})"
        self.advance_log = (
            f"UPDATE log_head SET size = size + {m} WHERE id = 1 RETURNING size, root")
        self.set_root = f"UPDATE log_head SET root = {m} WHERE id = 1"
        self.get_tile = f"SELECT hashes FROM log_tiles WHERE level = {m} AND idx = {m}"
        self.put_tile = (
            f"INSERT INTO log_tiles (level, idx, width, hashes) VALUES ({m}, {m}, {m}, {m}) "
            "ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, "
            "hashes = excluded.hashes")
        self.last_checkpoint = "SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1"
        self.insert_checkpoint = (
            f"INSERT INTO checkpoints (size, root, note, signed_at) VALUES ({m}, {m}, {m}, {m})")
        self.insert_secret = (
            f"INSERT INTO custodial_secrets (key_id, sealed) VALUES ({m}, {m})")
        self.insert_event = (
            f"INSERT INTO events (seq, id, type, org_id, actor_id, occurred_at, body, leaf_hash) "
            f"VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m})")
        self.insert_ref = f"INSERT INTO event_refs (ref, seq, kind) VALUES ({m}, {m}, {m})"
        self.credits_of = (
            f"SELECT {', '.join(self.tables[Credit].columns)} FROM credits "
            f"WHERE program_id = {m} AND supplier_id = {m}")
        self.open_disputes = (
            f"SELECT {', '.join(self.tables[Dispute].columns)} FROM disputes "
            f"WHERE anchor_id = {m} AND supplier_id = {m} AND number_key = {m} "
            "AND status = 'open'")

    @classmethod
    def of(cls, name: str) -> _Dialect:
        if name not in cls._cache:
            cls._cache[name] = cls(name)
        return cls._cache[name]

    def placeholders(self, n: int) -> str:
        return "(" + ", ".join([self.mark] * n) + ")"


class DbState:
    """The domain's State over one open transaction."""

    def __init__(self, connection: Connection, *, optimistic_ids: bool = True) -> None:
        self.connection = connection
        # Optimistic ids: a new id is assumed free unless already seen, and the unique key
        # of its table decides at commit; a collision makes the app rerun the command
        # with optimistic_ids=False, which then reports `id_in_use` properly. Saves a
        # read per created record on the hot path.
        self.optimistic_ids = optimistic_ids
        self.dialect = _Dialect.of(connection.dialect.name)
        self.cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self._cache: dict[tuple[type[Any], tuple[Any, ...]], Any] = {}
        self._versions: dict[tuple[type[Any], tuple[Any, ...]], int] = {}
        self._dirty: dict[tuple[type[Any], tuple[Any, ...]], Record] = {}
        self._numbers: dict[tuple[str, str, str], str | None] = {}
        self._keys_loaded: set[str] = set()
        self._key_ids: dict[str, set[str]] = {}

    # --- reads ---------------------------------------------------------------------

    def _remember_row(self, cls: type[Any], values: Sequence[Any]) -> Any:
        sql = self.dialect.tables[cls]
        cache_key = (cls, tuple(values[i] for i in sql.key_positions))
        if cache_key not in self._dirty:
            self._cache[cache_key] = values_to_record(cls, sql.columns, values)
            self._versions[cache_key] = values[sql.version_position]
        return self._cache[cache_key]

    def _load(self, cls: type[Any], key: tuple[Any, ...]) -> Any:
        found = self._cache.get((cls, key), _MISSING)
        if found is not _MISSING:
            return found
        self.cursor.execute(self.dialect.tables[cls].select_by_key, key)
        values = self.cursor.fetchone()
        if values is None:
            self._cache[(cls, key)] = None
            return None
        return self._remember_row(cls, values)

    def prefetch(self, ids: Iterable[str]) -> None:
        """Load many records by id in a few queries (one per table), misses included.

        Batches call this with every id their commands mention, so that the per-command
        reads that follow are served from the identity map.
        """
        by_cls: dict[type[Any], set[str]] = {}
        for value in ids:
            cls = _PREFIX_TABLE.get(value.split("_", 1)[0]) if isinstance(value, str) else None
            if cls is not None and (cls, (value,)) not in self._cache:
                by_cls.setdefault(cls, set()).add(value)
        for cls, wanted in by_cls.items():
            sql = self.dialect.tables[cls]
            ordered = sorted(wanted)
            for start in range(0, len(ordered), 500):
                chunk = ordered[start:start + 500]
                self.cursor.execute(sql.select_in_prefix + self.dialect.placeholders(len(chunk)),
                                    chunk)
                for values in self.cursor.fetchall():
                    self._remember_row(cls, values)
            for value in ordered:
                self._cache.setdefault((cls, (value,)), None)

    def organisation(self, org_id: str) -> Organisation | None:
        return self._load(Organisation, (org_id,))  # type: ignore[no-any-return]

    def user(self, user_id: str) -> User | None:
        return self._load(User, (user_id,))  # type: ignore[no-any-return]

    def program(self, program_id: str) -> Program | None:
        return self._load(Program, (program_id,))  # type: ignore[no-any-return]

    def relationship(self, program_id: str, supplier_id: str) -> Relationship | None:
        return self._load(Relationship, (program_id, supplier_id))  # type: ignore[no-any-return]

    def invoice(self, invoice_id: str) -> Invoice | None:
        return self._load(Invoice, (invoice_id,))  # type: ignore[no-any-return]

    def invoice_by_number(self, anchor_id: str, supplier_id: str, number: str) -> Invoice | None:
        natural = (anchor_id, supplier_id, exact_invoice_number_key(number))
        if natural not in self._numbers:
            self.cursor.execute(self.dialect.invoice_by_number, natural)
            values = self.cursor.fetchone()
            self._numbers[natural] = None if values is None else (
                self._remember_row(Invoice, values).id)
        invoice_id = self._numbers[natural]
        return None if invoice_id is None else self.invoice(invoice_id)

    def receivable(self, receivable_id: str) -> Receivable | None:
        return self._load(Receivable, (receivable_id,))  # type: ignore[no-any-return]

    def financing_request(self, request_id: str) -> FinancingRequest | None:
        return self._load(FinancingRequest, (request_id,))  # type: ignore[no-any-return]

    def financing_offer(self, offer_id: str) -> FinancingOffer | None:
        return self._load(FinancingOffer, (offer_id,))  # type: ignore[no-any-return]

    def financing_offers_of(self, request_id: str) -> list[FinancingOffer]:
        """Every offer on the request: the stored rows, and this transaction's own."""
        sql = self.dialect.tables[FinancingOffer]
        self.cursor.execute(sql.select_in_prefix.replace(" id IN ", " request_id IN ")
                            + self.dialect.placeholders(1), (request_id,))
        for values in self.cursor.fetchall():
            self._remember_row(FinancingOffer, values)
        found = [record for (cls, _), record in self._cache.items()
                 if cls is FinancingOffer and record is not None
                 and record.request_id == request_id]
        return sorted(found, key=lambda o: o.id)

    def early_payment_offer(self, offer_id: str) -> EarlyPaymentOffer | None:
        return self._load(EarlyPaymentOffer, (offer_id,))  # type: ignore[no-any-return]

    def approval(self, approval_id: str) -> Approval | None:
        return self._load(Approval, (approval_id,))  # type: ignore[no-any-return]

    def org_key(self, key_id: str) -> OrgKey | None:
        return self._load(OrgKey, (key_id,))  # type: ignore[no-any-return]

    def org_keys(self, org_id: str) -> list[OrgKey]:
        """Every key of the organisation (read once per transaction, then the map)."""
        if org_id not in self._keys_loaded:
            sql = self.dialect.tables[OrgKey]
            self.cursor.execute(sql.select_in_prefix.replace(" id IN ", " org_id IN ")
                                + self.dialect.placeholders(1), (org_id,))
            for values in self.cursor.fetchall():
                key = self._remember_row(OrgKey, values)
                self._key_ids.setdefault(org_id, set()).add(key.id)
            self._keys_loaded.add(org_id)
        keys = [self._cache[(OrgKey, (key_id,))] for key_id in self._key_ids.get(org_id, ())]
        return sorted(keys, key=lambda k: (k.valid_from, k.id))

    def exposure(self, key: str) -> int:
        record = self._load(Exposure, (key,))
        return 0 if record is None else int(record.outstanding_minor)

    def id_taken(self, prefix: str, record_id: str) -> bool:
        cls = _PREFIX_TABLE[prefix]
        cached = self._cache.get((cls, (record_id,)), _MISSING)
        if cached is not _MISSING:
            return cached is not None
        if self.optimistic_ids:
            return False
        return self._load(cls, (record_id,)) is not None

    def credit(self, credit_id: str) -> Credit | None:
        return self._load(Credit, (credit_id,))  # type: ignore[no-any-return]

    def credits_of(self, program_id: str, supplier_id: str) -> list[Credit]:
        """The stored credits and this transaction's own, oldest first."""
        self.cursor.execute(self.dialect.credits_of, (program_id, supplier_id))
        for values in self.cursor.fetchall():
            self._remember_row(Credit, values)
        found = [record for (cls, _), record in self._cache.items()
                 if cls is Credit and record is not None and record.program_id == program_id
                 and record.supplier_id == supplier_id]
        return sorted(found, key=lambda k: (k.recorded_on, k.id))

    def dispute(self, dispute_id: str) -> Dispute | None:
        return self._load(Dispute, (dispute_id,))  # type: ignore[no-any-return]

    def open_dispute(self, anchor_id: str, supplier_id: str, number: str) -> Dispute | None:
        key = exact_invoice_number_key(number)
        self.cursor.execute(self.dialect.open_disputes, (anchor_id, supplier_id, key))
        for values in self.cursor.fetchall():
            self._remember_row(Dispute, values)
        found = sorted((record for (cls, _), record in self._cache.items()
                        if cls is Dispute and record is not None and record.status == "open"
                        and (record.anchor_id, record.supplier_id, record.number_key) == (
                            anchor_id, supplier_id, key)), key=lambda d: d.id)
        return found[0] if found else None

    def actor(self, user_id: str) -> tuple[User | None, Organisation | None]:
        """The user and their organisation, in one query."""
        user = self._cache.get((User, (user_id,)), _MISSING)
        if user is _MISSING:
            d = self.dialect
            self.cursor.execute(d.actor, (user_id,))
            values = self.cursor.fetchone()
            if values is None:
                self._cache[(User, (user_id,))] = None
                return None, None
            n = len(d.tables[User].columns)
            user = self._remember_row(User, values[:n])
            self._remember_row(Organisation, values[n:])
        if user is None:
            return None, None
        return user, self.organisation(user.org_id)

    # --- writes ----------------------------------------------------------------------

    def put(self, record: Record) -> None:
        cache_key = (type(record), key_of(record))
        self._cache[cache_key] = record
        self._dirty[cache_key] = record
        if isinstance(record, OrgKey):
            self._key_ids.setdefault(record.org_id, set()).add(record.id)
        if isinstance(record, Invoice):
            natural = (record.anchor_id, record.supplier_id,
                       exact_invoice_number_key(record.number))
            self._numbers[natural] = record.id

    def _row(self, record: Record) -> dict[str, Any]:
        """The record as column values for this database."""
        row = record_to_row(record)
        if self.dialect.dates_as_text:
            for name, value in row.items():
                if hasattr(value, "isoformat") and not isinstance(value, str):
                    row[name] = value.isoformat()
        return row

    def plan_writes(self) -> tuple[list[tuple[str, list[Any]]], list[tuple[str, list[Any]]]]:
        """(updates, inserts) for every changed record, in one global order.

        The order (by table, then key) is the same in every transaction, so two
        transactions never wait for each other's row locks in a cycle.
        """
        inserts: dict[type[Any], list[list[Any]]] = {}
        updates: list[tuple[str, list[Any]]] = []
        for cache_key in sorted(self._dirty, key=lambda k: (k[0].__name__, k[1])):
            cls = cache_key[0]
            record = self._dirty[cache_key]
            sql = self.dialect.tables[cls]
            version = self._versions.get(cache_key)
            row = self._row(record)
            if version is None:
                row["version"] = 1
                inserts.setdefault(cls, []).append([row[c] for c in sql.columns])
                self._versions[cache_key] = 1
            else:
                params = [row[c] for c in sql.update_columns]
                params.append(version + 1)
                params.extend(cache_key[1])
                params.append(version)
                updates.append((sql.update, params))
                self._versions[cache_key] = version + 1
        self._dirty.clear()
        ordered = sorted(inserts, key=lambda c: c.__name__)
        return updates, [(self.dialect.tables[cls].insert, inserts[cls]) for cls in ordered]

    def pipeline(self) -> Any:
        """psycopg's pipeline mode: queue statements, one round trip at the end."""
        driver: Any = self.connection.connection.driver_connection
        if hasattr(driver, "pipeline"):
            return driver.pipeline()
        return nullcontext()


class UnitOfWork:
    """One transaction: a DbState, the event log append, and idempotency records."""

    def __init__(self, connection: Connection, *, optimistic_ids: bool = True,
                 checkpoint_signer: CheckpointSigner | None = None) -> None:
        self.connection = connection
        self.state = DbState(connection, optimistic_ids=optimistic_ids)
        self.checkpoint_signer = checkpoint_signer
        self._secrets: list[tuple[str, bytes]] = []
        self._pending: list[EventRecord] = []
        self._logged: list[EventRecord] = []
        self._remember: list[tuple[str, str, Any, str]] = []
        self._idempotency: dict[str, tuple[str, str] | None] = {}

    def sealed_secret(self, key_id: str) -> bytes | None:
        cur = self.state.cursor
        mark = self.state.dialect.mark
        cur.execute(f"SELECT sealed FROM custodial_secrets WHERE key_id = {mark}", (key_id,))
        row = cur.fetchone()
        return None if row is None else bytes(row[0])

    def set_log_identity(self, origin: str, vkey: str) -> None:
        m = self.state.dialect.mark
        self.state.cursor.execute(
            f"INSERT INTO log_identity (id, origin, vkey) VALUES (1, {m}, {m})", (origin, vkey))

    def checkpoint_now(self, signer: CheckpointSigner) -> int:
        """Sign a checkpoint for the current log head, if newer than the last one."""
        cur, d = self.state.cursor, self.state.dialect
        cur.execute("SELECT size, root FROM log_head WHERE id = 1")
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

    def store_secret(self, key_id: str, sealed: bytes) -> None:
        """Keep a sealed custodial seed, written with the events that register its key."""
        self._secrets.append((key_id, sealed))

    def append(self, records: Sequence[EventRecord]) -> None:
        """Queue events for the log; they get sequence numbers when the work commits."""
        self._pending.extend(records)

    @property
    def logged(self) -> list[EventRecord]:
        """Events written by `flush`, with their sequence numbers."""
        return self._logged

    def _event_rows(self, first: int) -> tuple[list[tuple[Any, ...]],
                                               list[tuple[str, int, str]], list[bytes]]:
        event_rows: list[tuple[Any, ...]] = []
        ref_rows: list[tuple[str, int, str]] = []
        leaf_hashes: list[bytes] = []
        for offset, record in enumerate(self._pending):
            seq = first + offset
            body = canonical_bytes(record_to_data(record))
            leaf = hash_leaf(body)
            leaf_hashes.append(leaf)
            event_rows.append((seq, record.id, record.event.TYPE, record.org_id, record.actor_id,
                               format_instant(record.occurred_at), body, leaf))
            ref_rows.extend((org, seq, "org") for org in record.event.parties())
            ref_rows.extend((rid, seq, "rcv") for rid in dict.fromkeys(record.event.subjects()))
            self._logged.append(EventRecord(record.id, record.org_id, record.actor_id,
                                            record.occurred_at, record.event, seq))
        self._pending = []
        return event_rows, ref_rows, leaf_hashes

    def _get_tile(self, level: int, index: int) -> bytes:
        cur = self.state.cursor
        cur.execute(self.state.dialect.get_tile, (level, index))
        row = cur.fetchone()
        if row is None:
            raise LogIntegrityError(f"the log is missing its tile at level {level} index {index}")
        return bytes(row[0])

    def _get_node(self, level: int, index: int) -> bytes:
        try:
            return node_getter(self._get_tile)(level, index)
        except TrustError as exc:
            raise LogIntegrityError(f"the stored tiles are damaged: {exc}") from None

    def _appender(self, old_size: int, old_root: bytes) -> TileAppender:
        """The tree's partial tiles at `old_size`: from this process's cache when it
        matches the stored root, else read from storage (O(log n)) and checked."""
        url = self.connection.engine.url.render_as_string(hide_password=True)
        cached = _APPENDERS.get(url)
        if cached is not None and cached[0] == old_size and cached[1] == old_root:
            return cached[2].copy()
        try:
            appender = TileAppender.from_tiles(old_size, self._get_tile)
        except TrustError as exc:
            raise LogIntegrityError(f"the stored tiles are damaged: {exc}") from None
        if appender.root() != old_root:
            raise LogIntegrityError(
                f"the stored nodes of the log give a different root at size {old_size} than "
                "the log head records: the log storage was changed")
        return appender

    def _remember_appender(self, appender: TileAppender, root: bytes) -> None:
        url = self.connection.engine.url.render_as_string(hide_password=True)
        # A copy: the caller's appender may go on changing; the cache must not.
        _APPENDERS[url] = (appender.size, root, appender.copy())

    def _check_extends_last_checkpoint(self, last: tuple[int, bytes] | None, old_size: int,
                                       old_root: bytes) -> None:
        """Refuse to sign unless the tree being extended is consistent with the last
        checkpoint the operator signed: the operator never signs two inconsistent heads."""
        if last is None:
            return
        size0, root0 = last[0], bytes(last[1])
        if size0 > old_size:
            raise LogIntegrityError(
                f"the last checkpoint covers {size0} events but the log holds {old_size}")
        if size0 == old_size:
            if root0 != old_root:
                raise LogIntegrityError(f"the log's root at size {old_size} differs from the "
                                        "signed checkpoint: refusing to sign a fork")
            return
        if size0 == 0:
            return
        try:
            proof = consistency_proof_from_nodes(size0, old_size, node_getter(self._get_tile))
            verify_consistency(size0, old_size, root0, old_root, proof)
        except TrustError as exc:
            raise LogIntegrityError(
                f"the log at size {old_size} is not an extension of the checkpoint at size "
                f"{size0}: refusing to sign ({exc})") from None

    def prefetch_idempotency(self, keys: Iterable[str]) -> None:
        wanted = sorted({k for k in keys if k not in self._idempotency})
        d, cur = self.state.dialect, self.state.cursor
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            cur.execute(d.idempotency_in + d.placeholders(len(chunk)), chunk)
            for key, request_hash, response in cur.fetchall():
                self._idempotency[key] = (request_hash, response)
            for key in chunk:
                self._idempotency.setdefault(key, None)

    def idempotent_response(self, key: str, *, reread: bool = False) -> tuple[str, str] | None:
        """(request hash, stored response) under the key, or None. `reread` asks the
        database again (a concurrent transaction may have committed it since)."""
        if reread and self._idempotency.get(key) is None:
            self._idempotency.pop(key, None)
        if key not in self._idempotency:
            cur = self.state.cursor
            cur.execute(self.state.dialect.idempotency_get, (key,))
            found = cur.fetchone()
            self._idempotency[key] = None if found is None else (found[0], found[1])
        return self._idempotency[key]

    def remember(self, key: str, request_hash: str, response: Any, at: str) -> None:
        """Store the response under the key when the work commits. `response` is a string
        or an object with `to_json()` (rendered after sequence numbers are assigned)."""
        if self._idempotency.get(key) is not None:
            raise ConcurrencyConflict("the same id was used twice in one batch")
        self._idempotency[key] = (request_hash, "")
        self._remember.append((key, request_hash, response, at))

    def flush(self) -> None:
        """Write records, then the log, then idempotency records: two round trips.

        First round trip: the log head advance and the conditional updates (a lost race
        shows as a stale version before anything is inserted). Taking the log head's row
        lock serialises appends across processes, so sequence numbers are dense and in
        commit order; it is held only for this flush and the commit.
        Second round trip: every insert.
        """
        state, d = self.state, self.state.dialect
        updates, inserts = state.plan_writes()
        if not (updates or inserts or self._pending or self._remember or self._secrets):
            return
        conn: Any = state.connection.connection.driver_connection
        checks: list[Any] = []
        head = last = None
        with state.pipeline():
            # The log head first: every writer queues on its row lock before it locks any
            # record, so writers never wait on each other in a cycle, and an exclusive
            # unit of work (which holds the head from its start) never deadlocks.
            if self._pending:
                head = conn.cursor()
                head.execute(d.advance_log, (len(self._pending),))
                if self.checkpoint_signer is not None:
                    last = conn.cursor()
                    last.execute(d.last_checkpoint)
            for sql, params in updates:
                cur = conn.cursor()
                cur.execute(sql, params)
                checks.append(cur)
        if any(cur.rowcount != 1 for cur in checks):
            raise ConcurrencyConflict()
        event_rows: list[tuple[Any, ...]] = []
        ref_rows: list[tuple[str, int, str]] = []
        tile_rows: list[tuple[int, int, int, bytes]] = []
        checkpoint_row = None
        new_root = None
        if head is not None:
            size, stored_root = head.fetchone()
            old_size = size - len(self._pending)
            old_root = EMPTY_ROOT if stored_root is None else bytes(stored_root)
            appender = self._appender(old_size, old_root)
            event_rows, ref_rows, leaf_hashes = self._event_rows(old_size + 1)
            if last is not None:
                self._check_extends_last_checkpoint(last.fetchone(), old_size, old_root)
            tile_rows = [tuple(w) for w in appender.extend(leaf_hashes)]  # type: ignore[misc]
            assert appender.size == size
            new_root = appender.root()
            if self.checkpoint_signer is not None:
                note, signed_at = self.checkpoint_signer(size, new_root)
                checkpoint_row = (size, new_root, note, signed_at)
            self._remember_appender(appender, new_root)
        remember_rows = []
        if self._remember:
            seq_of = {r.id: r.seq for r in self._logged}
            for key, request_hash, response, at in self._remember:
                if hasattr(response, "assign_seqs"):
                    response.assign_seqs(seq_of)
                text = response if isinstance(response, str) else response.to_json()
                remember_rows.append((key, request_hash, text, at))
            self._remember = []
        cur = state.cursor
        with state.pipeline():
            for sql, rows in inserts:
                cur.executemany(sql, rows)
            if self._secrets:
                cur.executemany(d.insert_secret, self._secrets)
                self._secrets = []
            if event_rows:
                cur.executemany(d.insert_event, event_rows)
                cur.executemany(d.put_tile, tile_rows)
                cur.execute(d.set_root, (new_root,))
            if checkpoint_row is not None:
                cur.execute(d.insert_checkpoint, checkpoint_row)
            if ref_rows:
                cur.executemany(d.insert_ref, ref_rows)
            if remember_rows:
                cur.executemany(d.idempotency_put, remember_rows)


def _lost_race(exc: BaseException) -> bool:
    message = str(exc).lower()
    return any(word in message for word in ("locked", "deadlock", "serializ", "unique",
                                            "duplicate key", "constraint failed"))


@contextmanager
def unit_of_work(engine: Engine, *, optimistic_ids: bool = True, exclusive: bool = False,
                 checkpoint_signer: CheckpointSigner | None = None) -> Iterator[UnitOfWork]:
    """Commit when the block ends normally; roll back everything on any exception.

    exclusive: take the log head's row lock before the first read, so that no other
    transaction can commit a change (every change appends to the log, which takes that
    lock first in `flush`) between this one's reads and its commit. For retries after a
    lost race; SQLite's write transactions are exclusive anyway (BEGIN IMMEDIATE).
    """
    dbapi = engine.dialect.loaded_dbapi
    try:
        with engine.connect() as connection:
            connection.execution_options(openscf_write=True)
            with connection.begin():
                if exclusive and connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SELECT size FROM log_head WHERE id = 1 FOR UPDATE")
                uow = UnitOfWork(connection, optimistic_ids=optimistic_ids,
                                 checkpoint_signer=checkpoint_signer)
                yield uow
                uow.flush()
    except (IntegrityError, OperationalError) as exc:
        # Another transaction created the same row, or SQLite's lock wait timed out, or
        # PostgreSQL chose this transaction as a deadlock victim: it lost a race.
        if isinstance(exc, IntegrityError) or _lost_race(exc.orig or exc):
            raise ConcurrencyConflict() from exc
        raise
    except (dbapi.IntegrityError, dbapi.OperationalError) as exc:
        if isinstance(exc, dbapi.IntegrityError) or _lost_race(exc):
            raise ConcurrencyConflict() from exc
        raise
