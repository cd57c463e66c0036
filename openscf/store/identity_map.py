"""The identity map: the domain's `State` over one open transaction.

`DbState` reads each record from the database at most once per transaction and serves
every later read from memory; writes (`put`) are collected, and `plan_writes` turns them
into inserts and version-checked updates sorted into one global order (so two
transactions never wait on each other in a cycle, and a record changed by a concurrent
transaction shows as a stale version instead of being overwritten). It executes reads
only; the unit of work executes the writes it plans.

May import: `openscf.domain`, `openscf.store.dialect` (the SQL it runs) and
`openscf.store.mapping` (rows <-> records). Not the log writer or the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

from openscf.domain.invoice_number import exact_invoice_number_key
from openscf.domain.model import (
    OUTSTANDING,
    Approval,
    Credit,
    DefaultClaim,
    Dispute,
    EarlyPaymentOffer,
    Exposure,
    FinancingOffer,
    FinancingRequest,
    FraudFlag,
    Invoice,
    Organisation,
    OrgKey,
    Program,
    Receivable,
    Relationship,
    RiskDecision,
    RiskModel,
    User,
)
from openscf.domain.state import Record
from openscf.store.dialect import Dialect
from openscf.store.mapping import key_of, record_to_row, values_to_record

__all__ = ["DbState"]

_MISSING = object()
# Every prefix is three letters: an id's table is named by its first four characters.
_PREFIX_TABLE: dict[str, type[Any]] = {
    "org": Organisation,
    "usr": User,
    "prg": Program,
    "inv": Invoice,
    "rcv": Receivable,
    "fin": FinancingRequest,
    "ofr": FinancingOffer,
    "epo": EarlyPaymentOffer,
    "apr": Approval,
    "key": OrgKey,
    "dfl": DefaultClaim,
    "crd": Credit,
    "dsp": Dispute,
    "rmd": RiskModel,
    "rdc": RiskDecision,
    "ffl": FraudFlag,
}
assert all(len(prefix) == 3 for prefix in _PREFIX_TABLE)
_TABLE_OF_HEAD = {prefix + "_": cls for prefix, cls in _PREFIX_TABLE.items()}


class DbState:
    """The domain's State over one open transaction."""

    def __init__(self, connection: Connection, *, optimistic_ids: bool = True) -> None:
        self.connection = connection
        # Optimistic ids: a new id is assumed free unless already seen, and the unique key
        # of its table decides at commit; a collision makes the app rerun the command
        # with optimistic_ids=False, which then reports `id_in_use` properly. Saves a
        # read per created record on the hot path.
        self.optimistic_ids = optimistic_ids
        self.dialect = Dialect.of(connection.dialect.name)
        self.cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self._cache: dict[tuple[type[Any], tuple[Any, ...]], Any] = {}
        self._versions: dict[tuple[type[Any], tuple[Any, ...]], int] = {}
        self._dirty: dict[tuple[type[Any], tuple[Any, ...]], Record] = {}
        self._numbers: dict[tuple[str, str, str], str | None] = {}
        self._keys_loaded: set[str] = set()
        self._key_ids: dict[str, set[str]] = {}
        # Each organisation's keys in order, as `org_keys` last returned them (a command
        # that signs custodially asks every time); dropped when one of its keys changes.
        self._sorted_keys: dict[str, list[OrgKey]] = {}
        # The offers seen on each financing request (read or written), so that listing a
        # request's offers does not scan the whole map: a batch accepts many offers.
        self._offer_ids: dict[str, set[str]] = {}
        # Likewise the credits by (program, supplier) and the disputes by (anchor,
        # supplier, invoice number key): every confirmation asks for both.
        self._credit_ids: dict[tuple[str, str], set[str]] = {}
        self._dispute_ids: dict[tuple[str, str, str], set[str]] = {}
        self._credits_loaded: set[tuple[str, str]] = set()
        # The fraud flags seen on each invoice (by anchor, supplier, number key), read
        # once per transaction: every confirmation and financing command asks.
        self._flag_ids: dict[tuple[str, str, str], set[str]] = {}
        # Whether any flag is open at all, read once per transaction (None: not yet).
        self._any_open_flag: bool | None = None

    # --- reads ---------------------------------------------------------------------

    def _remember_row(self, cls: type[Any], values: Sequence[Any]) -> Any:
        sql = self.dialect.tables[cls]
        cache_key = (cls, tuple(values[i] for i in sql.key_positions))
        if cache_key not in self._dirty:
            record = values_to_record(cls, sql.columns, values)
            self._cache[cache_key] = record
            self._versions[cache_key] = values[sql.version_position]
            self._index(record)
        return self._cache[cache_key]

    def _index(self, record: Any) -> None:
        """Note a record in the secondary indexes of the map (read or written)."""
        cls = type(record)
        if cls is FinancingOffer:
            self._offer_ids.setdefault(record.request_id, set()).add(record.id)
        elif cls is OrgKey:
            self._key_ids.setdefault(record.org_id, set()).add(record.id)
            self._sorted_keys.pop(record.org_id, None)
        elif cls is Credit:
            self._credit_ids.setdefault((record.program_id, record.supplier_id), set()).add(
                record.id
            )
        elif cls is Dispute:
            natural = (record.anchor_id, record.supplier_id, record.number_key)
            self._dispute_ids.setdefault(natural, set()).add(record.id)

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
        table_of, cache = _TABLE_OF_HEAD, self._cache
        for value in ids:
            cls = table_of.get(value[:4]) if isinstance(value, str) else None
            if cls is not None and (cls, (value,)) not in cache:
                by_cls.setdefault(cls, set()).add(value)
        for cls, wanted in by_cls.items():
            sql = self.dialect.tables[cls]
            ordered = sorted(wanted)
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                self.cursor.execute(
                    sql.select_in_prefix + self.dialect.placeholders(len(chunk)), chunk
                )
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
            self._numbers[natural] = (
                None if values is None else (self._remember_row(Invoice, values).id)
            )
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
        self.cursor.execute(
            sql.select_in_prefix.replace(" id IN ", " request_id IN ")
            + self.dialect.placeholders(1),
            (request_id,),
        )
        for values in self.cursor.fetchall():
            self._remember_row(FinancingOffer, values)
        found = [
            self._cache[(FinancingOffer, (offer_id,))]
            for offer_id in self._offer_ids.get(request_id, ())
        ]
        return sorted((o for o in found if o is not None), key=lambda o: o.id)

    def early_payment_offer(self, offer_id: str) -> EarlyPaymentOffer | None:
        return self._load(EarlyPaymentOffer, (offer_id,))  # type: ignore[no-any-return]

    def approval(self, approval_id: str) -> Approval | None:
        return self._load(Approval, (approval_id,))  # type: ignore[no-any-return]

    def org_key(self, key_id: str) -> OrgKey | None:
        return self._load(OrgKey, (key_id,))  # type: ignore[no-any-return]

    def org_keys(self, org_id: str) -> list[OrgKey]:
        """Every key of the organisation (read once per transaction, then the map)."""
        cached = self._sorted_keys.get(org_id)
        if cached is not None:
            return list(cached)
        if org_id not in self._keys_loaded:
            sql = self.dialect.tables[OrgKey]
            self.cursor.execute(
                sql.select_in_prefix.replace(" id IN ", " org_id IN ")
                + self.dialect.placeholders(1),
                (org_id,),
            )
            for values in self.cursor.fetchall():
                key = self._remember_row(OrgKey, values)
                self._key_ids.setdefault(org_id, set()).add(key.id)
            self._keys_loaded.add(org_id)
        keys = [self._cache[(OrgKey, (key_id,))] for key_id in self._key_ids.get(org_id, ())]
        ordered = sorted(keys, key=lambda k: (k.valid_from, k.id))
        self._sorted_keys[org_id] = ordered
        return list(ordered)

    def default_claim(self, claim_id: str) -> DefaultClaim | None:
        return self._load(DefaultClaim, (claim_id,))  # type: ignore[no-any-return]

    def credit(self, credit_id: str) -> Credit | None:
        return self._load(Credit, (credit_id,))  # type: ignore[no-any-return]

    def credits_of(self, program_id: str, supplier_id: str) -> list[Credit]:
        """The stored credits and this transaction's own, oldest first (read once per
        transaction, then the map)."""
        if (program_id, supplier_id) not in self._credits_loaded:
            self.cursor.execute(self.dialect.credits_of, (program_id, supplier_id))
            for values in self.cursor.fetchall():
                self._remember_row(Credit, values)
            self._credits_loaded.add((program_id, supplier_id))
        candidates = (
            self._cache[(Credit, (credit_id,))]
            for credit_id in self._credit_ids.get((program_id, supplier_id), ())
        )
        found = [
            record
            for record in candidates
            if record is not None
            and record.program_id == program_id
            and record.supplier_id == supplier_id
        ]
        return sorted(found, key=lambda k: (k.recorded_on, k.id))

    def dispute(self, dispute_id: str) -> Dispute | None:
        return self._load(Dispute, (dispute_id,))  # type: ignore[no-any-return]

    def open_dispute(self, anchor_id: str, supplier_id: str, number: str) -> Dispute | None:
        key = exact_invoice_number_key(number)
        self.cursor.execute(self.dialect.open_disputes, (anchor_id, supplier_id, key))
        for values in self.cursor.fetchall():
            self._remember_row(Dispute, values)
        candidates = (
            self._cache[(Dispute, (dispute_id,))]
            for dispute_id in self._dispute_ids.get((anchor_id, supplier_id, key), ())
        )
        found = sorted(
            (
                record
                for record in candidates
                if record is not None
                and record.status == "open"
                and (record.anchor_id, record.supplier_id, record.number_key)
                == (anchor_id, supplier_id, key)
            ),
            key=lambda d: d.id,
        )
        return found[0] if found else None

    def risk_model(self, model_id: str) -> RiskModel | None:
        return self._load(RiskModel, (model_id,))  # type: ignore[no-any-return]

    def risk_decision(self, decision_id: str) -> RiskDecision | None:
        return self._load(RiskDecision, (decision_id,))  # type: ignore[no-any-return]

    def fraud_flag(self, flag_id: str) -> FraudFlag | None:
        return self._load(FraudFlag, (flag_id,))  # type: ignore[no-any-return]

    def any_open_fraud_flag(self) -> bool:
        if self._any_open_flag is None:
            self.cursor.execute(self.dialect.any_open_fraud_flag)
            self._any_open_flag = self.cursor.fetchone() is not None
        return self._any_open_flag

    def open_fraud_flag(self, anchor_id: str, supplier_id: str, number: str) -> FraudFlag | None:
        natural = (anchor_id, supplier_id, exact_invoice_number_key(number))
        if natural not in self._flag_ids:
            self.cursor.execute(self.dialect.open_fraud_flags, natural)
            seen = self._flag_ids.setdefault(natural, set())
            for values in self.cursor.fetchall():
                seen.add(self._remember_row(FraudFlag, values).id)
        found = sorted(
            (
                flag
                for flag in (self._cache.get((FraudFlag, (i,))) for i in self._flag_ids[natural])
                if flag is not None and flag.status == "open"
            ),
            key=lambda f: f.id,
        )
        return found[0] if found else None

    def outstanding_of(self, obligor_id: str) -> list[Receivable]:
        """The obligor's outstanding pieces: the stored rows, and this transaction's own."""
        sql = self.dialect.tables[Receivable]
        statuses = sorted(OUTSTANDING)
        self.cursor.execute(
            sql.select_in_prefix.replace(
                " id IN ", " obligor_id = " + self.dialect.mark + " AND status IN "
            )
            + self.dialect.placeholders(len(statuses)),
            (obligor_id, *statuses),
        )
        for values in self.cursor.fetchall():
            self._remember_row(Receivable, values)
        found = [
            record
            for (cls, _), record in self._cache.items()
            if cls is Receivable
            and record is not None
            and record.obligor_id == obligor_id
            and record.status in OUTSTANDING
        ]
        return sorted(found, key=lambda r: r.id)

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
        self._index(record)
        if isinstance(record, FraudFlag):
            if record.status == "open":
                self._any_open_flag = True
            natural = (record.anchor_id, record.supplier_id, record.number_key)
            if natural in self._flag_ids:
                self._flag_ids[natural].add(record.id)
            else:
                # Not yet read: read the stored ones the next time it is asked, then this.
                self.open_fraud_flag(record.anchor_id, record.supplier_id, record.invoice_number)
                self._flag_ids[natural].add(record.id)
        if isinstance(record, Invoice):
            natural = (
                record.anchor_id,
                record.supplier_id,
                exact_invoice_number_key(record.number),
            )
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
