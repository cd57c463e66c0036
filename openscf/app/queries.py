"""Read models with isolation: what each caller may see.

Every read the adapters serve goes through `ReadModel`, which applies one rule set.
A caller is an organisation (with its roles) acting through one of its users.

    operator, auditor   see every record (auditors cannot change anything: the policy
                        gives them no business command; the operator administers)
    anchor              everything in the programs it runs: the programs, their
                        suppliers, invoices, receivables it owes (obligor), financing
                        requests (but not the offers on them), its early-payment offers
    supplier            the programs it is onboarded in (and its own onboarding), the
                        invoices it issued, the receivable pieces it holds or held, and
                        up the chain of every such piece (its ancestors, back to the
                        anchor's confirmation, with their chain of custody); its own
                        financing requests with every offer on them; early-payment
                        offers on pieces it holds
    funder              the programs it funds, with their suppliers; every financing
                        request of those programs and the piece behind each (to price
                        it); only its own offers (bids are sealed); its portfolio (the
                        pieces it bought, and up their chain)

Everyone sees the directory of organisations (id, name, roles, country, LEI); bank
details only for its own organisation, or as operator or auditor. Users and approvals:
one's own organisation only (operator and auditor: all). Events: those naming the
caller's organisation as a party (operator and auditor: all), plus the chain of custody
of the pieces it may see.

Sealed bids: a financing offer (its id, rate, fees, discount and cash, whether open,
accepted or declined) is seen only by the funder that made it, the holder that asked for
financing, and the operator and auditors. `may_see_offer` is that rule; every view that
shows offers goes through it: the offer lists and look-ups, the chain of custody (which
leaves out the FinancingOffered / FinancingOfferAccepted events of others' offers), a
request's `accepted_offer_id`, and the events feed (an offer event's parties are exactly
its funder and its requester). A rival funder learns that a request was accepted and,
from the custody of the piece, who holds it now, but never a rival's price.

A record the caller may not see is reported as *not found*, exactly like a record that
does not exist, so ids of other organisations' records reveal nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    and_,
    create_engine,
    event,
    false,
    or_,
    select,
    true,
)

from openscf.app import trustlog
from openscf.domain.errors import NotFound
from openscf.domain.events import (
    EventRecord,
    FinancingOfferAccepted,
    FinancingOfferDeclined,
    FinancingOffered,
    record_from_data,
)
from openscf.domain.model import (
    Approval,
    EarlyPaymentOffer,
    FinancingOffer,
    FinancingRequest,
    Invoice,
    Organisation,
    Program,
    Receivable,
    Relationship,
    User,
)
from openscf.store import queries as q
from openscf.store import tables as t
from openscf.store.mapping import row_to_record
from openscf.trust.canonical import decode_canonical

__all__ = ["Caller", "Database", "Ledger", "LogOverview", "Page", "ReadModel", "read_engine_for"]

# The database as the adapters hold it: an opaque handle they pass to the app layer (the
# service, the read model, the ledger), never a thing they query.
Database = Engine

FULL_READERS = frozenset({"auditor", "operator"})
T = TypeVar("T")


class Caller(Protocol):
    @property
    def org_id(self) -> str: ...
    @property
    def roles(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Page(Generic[T]):
    data: list[T]
    has_more: bool


def read_engine_for(engine: Engine) -> Engine:
    """An engine for reads. On SQLite, reads start with a plain (deferred) BEGIN: a WAL
    snapshot that never waits for the write lock, unlike the store's BEGIN IMMEDIATE;
    the connection is also query_only. On PostgreSQL, the engine itself."""
    if engine.dialect.name != "sqlite":
        return engine
    reader = create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(reader, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(reader, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return reader


@dataclass(frozen=True)
class LogOverview:
    """The log at a glance (auditors and the operator): its size, latest signed head,
    every checkpoint (size, signed at; oldest first), the cosignatures, the registered
    witnesses (name, organisation, registered at), events by type and its origin."""

    size: int
    head: trustlog.SignedHead | None
    checkpoints: list[tuple[int, Any]]
    cosignatures: list[dict[str, object]]
    witnesses: list[tuple[str, str, Any]]
    events_by_type: dict[str, int]
    origin: str | None


def _page(items: list[Any], limit: int) -> Page[Any]:
    return Page(items[:limit], len(items) > limit)


def _not_found(kind: str, value: str, param: str) -> NotFound:
    return NotFound(f"unknown_{kind}", f"no {kind.replace('_', ' ')} {value!r}", param)


class ReadModel:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- who relates to which program --------------------------------------------------

    @staticmethod
    def _full(caller: Caller) -> bool:
        return bool(FULL_READERS & set(caller.roles))

    def _program_ties(self, conn: Any, org_id: str) -> tuple[set[str], set[str], set[str]]:
        """(programs it anchors, programs it funds, programs it is onboarded in)."""
        anchored: set[str] = set()
        funded: set[str] = set()
        for pid, anchor, funders in conn.execute(
            select(t.programs.c.id, t.programs.c.anchor_id, t.programs.c.funder_ids)
        ):
            if anchor == org_id:
                anchored.add(pid)
            if org_id in json.loads(funders):
                funded.add(pid)
        onboarded = set(
            conn.execute(
                select(t.relationships.c.program_id).where(t.relationships.c.supplier_id == org_id)
            ).scalars()
        )
        return anchored, funded, onboarded

    def _list(
        self, query: Select[Any], cls: type[Any], key: Any, limit: int, starting_after: str | None
    ) -> Page[Any]:
        query = query.order_by(key).limit(limit + 1)
        if starting_after:
            query = query.where(key > starting_after)
        with self.engine.connect() as conn:
            return _page([row_to_record(cls, r) for r in conn.execute(query)], limit)

    def _one(self, conn: Any, table: Any, cls: type[Any], record_id: str) -> Any:
        row = conn.execute(select(table).where(table.c.id == record_id)).first()
        return None if row is None else row_to_record(cls, row)

    # --- organisations and users ------------------------------------------------------

    def redact(self, caller: Caller, org: Organisation) -> Organisation:
        if self._full(caller) or org.id == caller.org_id:
            return org
        return Organisation(org.id, org.name, org.roles, org.country, org.lei, None, None)

    def organisations(
        self,
        caller: Caller,
        *,
        role: str | None = None,
        limit: int = 20,
        starting_after: str | None = None,
    ) -> Page[Organisation]:
        query = select(t.organisations)
        if role:
            query = query.where(t.organisations.c.roles.contains(f'"{role}"'))
        page = self._list(query, Organisation, t.organisations.c.id, limit, starting_after)
        return Page([self.redact(caller, o) for o in page.data], page.has_more)

    def organisation(self, caller: Caller, org_id: str) -> Organisation:
        with self.engine.connect() as conn:
            org = self._one(conn, t.organisations, Organisation, org_id)
        if org is None:
            raise _not_found("organisation", org_id, "org_id")
        return self.redact(caller, org)

    def users(
        self,
        caller: Caller,
        *,
        org_id: str | None = None,
        limit: int = 20,
        starting_after: str | None = None,
    ) -> Page[User]:
        query = select(t.users)
        if not self._full(caller):
            query = query.where(t.users.c.org_id == caller.org_id)
        if org_id:
            query = query.where(t.users.c.org_id == org_id)
        return self._list(query, User, t.users.c.id, limit, starting_after)

    def user(self, caller: Caller, user_id: str) -> User:
        with self.engine.connect() as conn:
            user = self._one(conn, t.users, User, user_id)
        if user is None or not (self._full(caller) or user.org_id == caller.org_id):
            raise _not_found("user", user_id, "user_id")
        return user  # type: ignore[no-any-return]

    # --- programs and relationships ---------------------------------------------------

    def programs(
        self, caller: Caller, *, limit: int = 20, starting_after: str | None = None
    ) -> Page[Program]:
        query = select(t.programs)
        if not self._full(caller):
            with self.engine.connect() as conn:
                anchored, funded, onboarded = self._program_ties(conn, caller.org_id)
            query = query.where(t.programs.c.id.in_(sorted(anchored | funded | onboarded)))
        return self._list(query, Program, t.programs.c.id, limit, starting_after)

    def program(self, caller: Caller, program_id: str) -> Program:
        with self.engine.connect() as conn:
            program = self._one(conn, t.programs, Program, program_id)
            visible = program is not None and (
                self._full(caller)
                or program.anchor_id == caller.org_id
                or caller.org_id in program.funder_ids
                or conn.execute(
                    select(t.relationships.c.supplier_id).where(
                        and_(
                            t.relationships.c.program_id == program_id,
                            t.relationships.c.supplier_id == caller.org_id,
                        )
                    )
                ).first()
                is not None
            )
        if not visible:
            raise _not_found("program", program_id, "program_id")
        assert program is not None
        return program  # type: ignore[no-any-return]

    def relationships(
        self,
        caller: Caller,
        program_id: str,
        *,
        limit: int = 20,
        starting_after: str | None = None,
        supplier_id: str | None = None,
    ) -> Page[Relationship]:
        program = self.program(caller, program_id)
        query = select(t.relationships).where(t.relationships.c.program_id == program_id)
        if supplier_id:
            query = query.where(t.relationships.c.supplier_id == supplier_id)
        if not (
            self._full(caller)
            or program.anchor_id == caller.org_id
            or caller.org_id in program.funder_ids
        ):
            query = query.where(t.relationships.c.supplier_id == caller.org_id)
        return self._list(query, Relationship, t.relationships.c.supplier_id, limit, starting_after)

    def relationship(self, caller: Caller, program_id: str, supplier_id: str) -> Relationship:
        page = self.relationships(
            caller, program_id, limit=1, starting_after=None, supplier_id=supplier_id
        )
        if not page.data:
            raise _not_found("program_supplier", supplier_id, "supplier_id")
        return page.data[0]

    # --- invoices and approvals ---------------------------------------------------------

    def invoices(
        self,
        caller: Caller,
        *,
        program_id: str | None = None,
        limit: int = 20,
        starting_after: str | None = None,
    ) -> Page[Invoice]:
        query = select(t.invoices)
        if not self._full(caller):
            query = query.where(
                or_(
                    t.invoices.c.anchor_id == caller.org_id,
                    t.invoices.c.supplier_id == caller.org_id,
                )
            )
        if program_id:
            query = query.where(t.invoices.c.program_id == program_id)
        return self._list(query, Invoice, t.invoices.c.id, limit, starting_after)

    def invoice(self, caller: Caller, invoice_id: str) -> Invoice:
        with self.engine.connect() as conn:
            invoice = self._one(conn, t.invoices, Invoice, invoice_id)
        if invoice is None or not (
            self._full(caller)
            or caller.org_id in (invoice.anchor_id, invoice.supplier_id)
            or self.can_see_receivable(caller, invoice.receivable_id)
        ):
            raise _not_found("invoice", invoice_id, "invoice_id")
        return invoice  # type: ignore[no-any-return]

    def approvals(
        self,
        caller: Caller,
        *,
        status: str | None = None,
        kind: str | None = None,
        limit: int = 20,
        starting_after: str | None = None,
    ) -> Page[Approval]:
        query = select(t.approvals)
        if not self._full(caller):
            query = query.where(t.approvals.c.org_id == caller.org_id)
        if status:
            query = query.where(t.approvals.c.status == status)
        if kind:
            query = query.where(t.approvals.c.kind == kind)
        return self._list(query, Approval, t.approvals.c.id, limit, starting_after)

    def approval(self, caller: Caller, approval_id: str) -> Approval:
        with self.engine.connect() as conn:
            approval = self._one(conn, t.approvals, Approval, approval_id)
        if approval is None or not (self._full(caller) or approval.org_id == caller.org_id):
            raise _not_found("approval", approval_id, "approval_id")
        return approval  # type: ignore[no-any-return]

    # --- receivables ------------------------------------------------------------------

    def receivables(
        self,
        caller: Caller,
        *,
        status: str | None = None,
        holder_id: str | None = None,
        program_id: str | None = None,
        limit: int = 20,
        starting_after: str | None = None,
    ) -> Page[Receivable]:
        """Pieces the caller owes (anchor) or holds or held (anyone); everything for
        operator and auditor. Ancestors are reached one by one (`receivable`)."""
        r = t.receivables
        query = select(r)
        if not self._full(caller):
            query = query.where(
                or_(r.c.holder_id == caller.org_id, r.c.obligor_id == caller.org_id)
            )
        if status:
            query = query.where(r.c.status == status)
        if holder_id:
            query = query.where(r.c.holder_id == holder_id)
        if program_id:
            query = query.where(r.c.program_id == program_id)
        return self._list(query, Receivable, r.c.id, limit, starting_after)

    def _receivable_visible(self, conn: Any, caller: Caller, piece: Receivable) -> bool:
        org = caller.org_id
        if self._full(caller) or org in (piece.obligor_id, piece.holder_id):
            return True
        # Up the chain: is this piece an ancestor of one the caller holds or held?
        family = {
            row[0]: row[1:]
            for row in conn.execute(
                select(
                    t.receivables.c.id, t.receivables.c.parent_id, t.receivables.c.holder_id
                ).where(t.receivables.c.root_id == piece.root_id)
            )
        }
        for pid, (_, holder) in family.items():
            if holder != org:
                continue
            current: str | None = pid
            while current is not None:
                if current == piece.id:
                    return True
                current = family[current][0] if current in family else None
        # A funder of the program sees the pieces put up for financing there.
        program = conn.execute(
            select(t.programs.c.funder_ids).where(t.programs.c.id == piece.program_id)
        ).scalar()
        if program is not None and org in json.loads(program):
            return (
                conn.execute(
                    select(t.financing_requests.c.id)
                    .where(t.financing_requests.c.receivable_id == piece.id)
                    .limit(1)
                ).first()
                is not None
            )
        return False

    def can_see_receivable(self, caller: Caller, receivable_id: str) -> bool:
        with self.engine.connect() as conn:
            piece = self._one(conn, t.receivables, Receivable, receivable_id)
            return piece is not None and self._receivable_visible(conn, caller, piece)

    def receivable(self, caller: Caller, receivable_id: str) -> Receivable:
        with self.engine.connect() as conn:
            piece = self._one(conn, t.receivables, Receivable, receivable_id)
            if piece is None or not self._receivable_visible(conn, caller, piece):
                raise _not_found("receivable", receivable_id, "receivable_id")
        return piece  # type: ignore[no-any-return]

    def receivables_by_id(self, caller: Caller, ids: Sequence[str]) -> list[Receivable]:
        """Several pieces at once, in the order asked, leaving out what is not visible."""
        if not ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.receivables).where(t.receivables.c.id.in_(list(ids))))
            found = {p.id: p for p in (row_to_record(Receivable, r) for r in rows)}
            return [
                found[i]
                for i in ids
                if i in found and self._receivable_visible(conn, caller, found[i])
            ]

    def chain_of_custody(self, caller: Caller, receivable_id: str) -> list[EventRecord]:
        """Every event on the piece's ancestry, from the anchor's confirmation on."""
        self.receivable(caller, receivable_id)
        with self.engine.connect() as conn:
            ancestry: list[str] = []
            current: str | None = receivable_id
            while current is not None and len(ancestry) < 10_000:
                ancestry.append(current)
                current = conn.execute(
                    select(t.receivables.c.parent_id).where(t.receivables.c.id == current)
                ).scalar()
            seqs = select(t.event_refs.c.seq).where(
                and_(t.event_refs.c.ref.in_(ancestry), t.event_refs.c.kind == "rcv")
            )
            rows = conn.execute(
                select(t.events.c.seq, t.events.c.body)
                .where(t.events.c.seq.in_(seqs))
                .order_by(t.events.c.seq)
            ).all()
        records = [record_from_data(decode_canonical(bytes(body)), seq) for seq, body in rows]
        return [
            r
            for r in records
            if not isinstance(
                r.event, FinancingOffered | FinancingOfferAccepted | FinancingOfferDeclined
            )
            or self.may_see_offer(caller, r.event.funder_id, r.event.holder_id)
        ]

    # --- financing --------------------------------------------------------------------

    def may_see_offer(self, caller: Caller, funder_id: str, requester_id: str) -> bool:
        """Sealed bids, the one rule: an offer is seen by the funder that made it, the
        holder that asked for financing (`requester_id`, the request's holder), and the
        operator and auditors; never by rival funders nor the anchor, before or after
        acceptance (the winning price is between the holder and the winner)."""
        return self._full(caller) or caller.org_id in (funder_id, requester_id)

    def _offer_clause(self, caller: Caller) -> ColumnElement[bool]:
        """`may_see_offer` as a filter on financing_offers joined to their request."""
        if self._full(caller):
            return true()
        o, f = t.financing_offers, t.financing_requests
        return or_(o.c.funder_id == caller.org_id, f.c.holder_id == caller.org_id)

    def _seal(
        self, conn: Any, caller: Caller, requests: list[FinancingRequest]
    ) -> list[FinancingRequest]:
        """Requests with `accepted_offer_id` left out where the caller may not see that
        offer."""
        accepted = [r.accepted_offer_id for r in requests if r.accepted_offer_id]
        if not accepted or self._full(caller):
            return requests
        funders = dict(
            conn.execute(
                select(t.financing_offers.c.id, t.financing_offers.c.funder_id).where(
                    t.financing_offers.c.id.in_(accepted)
                )
            ).all()
        )
        return [
            r
            if r.accepted_offer_id is None
            or self.may_see_offer(caller, funders.get(r.accepted_offer_id, ""), r.holder_id)
            else replace(r, accepted_offer_id=None)
            for r in requests
        ]

    def financing_requests(
        self,
        caller: Caller,
        *,
        status: str | None = None,
        program_id: str | None = None,
        receivable_id: str | None = None,
        limit: int = 20,
        starting_after: str | None = None,
    ) -> Page[FinancingRequest]:
        f = t.financing_requests
        query = select(f)
        if not self._full(caller):
            with self.engine.connect() as conn:
                anchored, funded, _ = self._program_ties(conn, caller.org_id)
            programs = sorted(anchored | funded)
            query = query.where(
                or_(
                    f.c.holder_id == caller.org_id,
                    f.c.program_id.in_(programs) if programs else false(),
                )
            )
        if status:
            query = query.where(f.c.status == status)
        if program_id:
            query = query.where(f.c.program_id == program_id)
        if receivable_id:
            query = query.where(f.c.receivable_id == receivable_id)
        page = self._list(query, FinancingRequest, f.c.id, limit, starting_after)
        if self._full(caller) or not any(r.accepted_offer_id for r in page.data):
            return page
        with self.engine.connect() as conn:
            return Page(self._seal(conn, caller, page.data), page.has_more)

    def _request_visible(self, conn: Any, caller: Caller, request: FinancingRequest) -> bool:
        if self._full(caller) or request.holder_id == caller.org_id:
            return True
        anchored, funded, _ = self._program_ties(conn, caller.org_id)
        return request.program_id in anchored | funded

    def financing_request(self, caller: Caller, request_id: str) -> FinancingRequest:
        with self.engine.connect() as conn:
            request = self._one(conn, t.financing_requests, FinancingRequest, request_id)
            if request is None or not self._request_visible(conn, caller, request):
                raise _not_found("financing_request", request_id, "request_id")
            return self._seal(conn, caller, [request])[0]

    def _offers_query(self, conn: Any, caller: Caller) -> Select[Any]:
        o, f = t.financing_offers, t.financing_requests
        return (
            select(o, t.receivables.c.currency)
            .join(f, f.c.id == o.c.request_id)
            .join(t.receivables, t.receivables.c.id == f.c.receivable_id)
            .where(self._offer_clause(caller))
        )

    def financing_offers(
        self,
        caller: Caller,
        *,
        request_id: str | None = None,
        status: str | None = None,
        limit: int = 20,
        starting_after: str | None = None,
    ) -> Page[tuple[FinancingOffer, str]]:
        """Offers with their currency (`may_see_offer`): the holder that asked sees every
        offer on its request; a funder only its own."""
        o = t.financing_offers
        if request_id:
            self.financing_request(caller, request_id)
        with self.engine.connect() as conn:
            query = self._offers_query(conn, caller)
            if request_id:
                query = query.where(o.c.request_id == request_id)
            if status:
                query = query.where(o.c.status == status)
            if starting_after:
                query = query.where(o.c.id > starting_after)
            rows = conn.execute(query.order_by(o.c.id).limit(limit + 1)).all()
        return _page(
            [(row_to_record(FinancingOffer, r), r._mapping["currency"]) for r in rows], limit
        )

    def financing_offer(self, caller: Caller, offer_id: str) -> tuple[FinancingOffer, str]:
        with self.engine.connect() as conn:
            query = self._offers_query(conn, caller).where(t.financing_offers.c.id == offer_id)
            row = conn.execute(query).first()
        if row is None:
            raise _not_found("financing_offer", offer_id, "offer_id")
        return row_to_record(FinancingOffer, row), row._mapping["currency"]

    def _early_query(self, caller: Caller) -> Select[Any]:
        e, r = t.early_payment_offers, t.receivables
        query = select(e, r.c.currency, r.c.holder_id.label("holder_id")).join(
            r, r.c.id == e.c.receivable_id
        )
        if not self._full(caller):
            query = query.where(
                or_(e.c.obligor_id == caller.org_id, r.c.holder_id == caller.org_id)
            )
        return query

    def early_payment_offers(
        self,
        caller: Caller,
        *,
        status: str | None = None,
        receivable_id: str | None = None,
        limit: int = 20,
        starting_after: str | None = None,
    ) -> Page[tuple[EarlyPaymentOffer, str, str]]:
        """Offers with the piece's currency and holder."""
        e = t.early_payment_offers
        query = self._early_query(caller)
        if status:
            query = query.where(e.c.status == status)
        if receivable_id:
            query = query.where(e.c.receivable_id == receivable_id)
        if starting_after:
            query = query.where(e.c.id > starting_after)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(e.c.id).limit(limit + 1)).all()
        return _page(
            [
                (
                    row_to_record(EarlyPaymentOffer, r),
                    r._mapping["currency"],
                    r._mapping["holder_id"],
                )
                for r in rows
            ],
            limit,
        )

    def early_payment_offer(
        self, caller: Caller, offer_id: str
    ) -> tuple[EarlyPaymentOffer, str, str]:
        query = self._early_query(caller).where(t.early_payment_offers.c.id == offer_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise _not_found("early_payment_offer", offer_id, "offer_id")
        return (
            row_to_record(EarlyPaymentOffer, row),
            row._mapping["currency"],
            row._mapping["holder_id"],
        )

    # --- events -----------------------------------------------------------------------

    def _event_query(self, caller: Caller) -> Select[Any]:
        query = select(t.events.c.seq, t.events.c.body)
        if not self._full(caller):
            query = query.where(
                t.events.c.seq.in_(
                    select(t.event_refs.c.seq).where(
                        and_(t.event_refs.c.ref == caller.org_id, t.event_refs.c.kind == "org")
                    )
                )
            )
        return query

    def events(
        self, caller: Caller, *, after_seq: int = 0, event_type: str | None = None, limit: int = 20
    ) -> Page[EventRecord]:
        query = self._event_query(caller).where(t.events.c.seq > after_seq)
        if event_type:
            query = query.where(t.events.c.type == event_type)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.events.c.seq).limit(limit + 1)).all()
        return _page(
            [record_from_data(decode_canonical(bytes(body)), seq) for seq, body in rows], limit
        )

    def event(self, caller: Caller, event_id: str) -> EventRecord:
        with self.engine.connect() as conn:
            row = conn.execute(self._event_query(caller).where(t.events.c.id == event_id)).first()
        if row is None:
            raise _not_found("event", event_id, "event_id")
        return record_from_data(decode_canonical(bytes(row[1])), row[0])

    def event_seq(self, caller: Caller, event_id: str) -> int:
        """The sequence number of an event the caller may see (for cursors)."""
        return self.event(caller, event_id).seq or 0

    # --- what the dashboard adds to what it shows ---------------------------------------

    def exposures(self, caller: Caller, program_ids: Iterable[str]) -> dict[str, int]:
        """Outstanding exposure per limit key ('<kind>:<program>:...') of these programs
        (the caller's own programs, as the read model showed them to it)."""
        ids = set(program_ids)
        with self.engine.connect() as conn:
            everything = q.load_exposures(conn)
        return {k: v for k, v in everything.items() if k.split(":")[1] in ids}

    def accepted_deals(
        self, caller: Caller, program_ids: Iterable[str], since: date, until: date
    ) -> list[tuple[str, str, str, str, int, int]]:
        """(program, obligor, seller, annual rate, fees, face) of every financing offer
        accepted in these programs with a value date in [since, until]: raw material for
        aggregates only (a caller is shown medians, never one deal)."""
        ids = sorted(set(program_ids))
        if not ids:
            return []
        with self.engine.connect() as conn:
            return q.accepted_deals(conn, ids, since, until)

    def invoice_numbers(self, caller: Caller, pieces: Iterable[Receivable]) -> dict[str, str]:
        """invoice id -> number, of the invoices behind pieces the read model showed the
        caller (a piece's invoice is visible to whoever may see the piece)."""
        ids = sorted({p.invoice_id for p in pieces})
        with self.engine.connect() as conn:
            return q.invoice_numbers(conn, ids)

    def events_on_pieces(self, caller: Caller, receivable_ids: Sequence[str]) -> list[EventRecord]:
        """Every event naming one of these pieces, in log order, for the pieces the caller
        may see (the others are left out, as if they did not exist)."""
        if not receivable_ids:
            return []
        visible = [p.id for p in self.receivables_by_id(caller, receivable_ids)]
        with self.engine.connect() as conn:
            return q.events_on_receivables(conn, visible)

    def program_members(self, caller: Caller, program_ids: Iterable[str]) -> list[tuple[str, str]]:
        """(program, supplier) of every supplier onboarded in these programs."""
        ids = sorted(set(program_ids))
        if not ids:
            return []
        with self.engine.connect() as conn:
            return q.program_members(conn, ids)

    # --- keys and the log --------------------------------------------------------------

    def keys(self, caller: Caller, org_id: str) -> list[dict[str, Any]]:
        """An organisation's public signing keys (anyone may verify a signature)."""
        with self.engine.connect() as conn:
            return q.org_keys(conn, org_id)

    def key(self, caller: Caller, key_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = q.org_key(conn, key_id)
        if row is None:
            raise _not_found("key", key_id, "key_id")
        return row

    def log_overview(self, caller: Caller) -> LogOverview:
        """Everything about the log itself, read in one snapshot (auditors, operator)."""
        assert self._full(caller), "the log's overview is for auditors and the operator"
        with self.engine.connect() as conn:
            try:
                head: trustlog.SignedHead | None = trustlog.latest_checkpoint(conn)
            except NotFound:
                head = None
            try:
                origin: str | None = trustlog.log_identity(conn).origin
            except NotFound:
                origin = None
            return LogOverview(
                q.log_size(conn),
                head,
                q.checkpoint_history(conn),
                trustlog.cosignatures(conn),
                q.witness_rows(conn),
                q.count_events_by_type(conn),
                origin,
            )


class Ledger:
    """The operator's unrestricted reads, for the command line: whoever runs it has the
    database in hand, so no visibility rule applies (the API and the dashboard read
    through `ReadModel`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def organisations(self) -> list[Organisation]:
        with self.engine.connect() as conn:
            return q.list_organisations(conn)

    def organisation_names(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return q.organisation_names(conn)

    def log_size(self) -> int:
        with self.engine.connect() as conn:
            return q.log_size(conn)

    def receivables(
        self, *, holder_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[Receivable]:
        """Pieces oldest first (in the order the log created them)."""
        with self.engine.connect() as conn:
            return q.list_receivables(
                conn, holder_id=holder_id, status=status, limit=limit, oldest_first=True
            )

    def receivable(self, receivable_id: str) -> Receivable | None:
        with self.engine.connect() as conn:
            return q.receivable_by_id(conn, receivable_id)

    def chain_of_custody(self, receivable_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return q.chain_of_custody(conn, receivable_id)

    def auth_events(
        self, *, limit: int, org_id: str | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """The newest `limit` entries of the security audit trail, oldest first."""
        with self.engine.connect() as conn:
            return q.auth_events(conn, limit=limit, org_id=org_id, kind=kind)

    def checkpoints(
        self, limit: int
    ) -> tuple[trustlog.LogIdentity, list[tuple[int, bytes, Any, list[str]]]]:
        """The log's identity and its newest `limit` checkpoints, newest first, as
        (size, root, signed at, the witnesses that cosigned it)."""
        with self.engine.connect() as conn:
            rows = q.newest_checkpoints(conn, limit)
            cosigned: dict[int, list[str]] = {}
            for entry in trustlog.cosignatures(conn):
                cosigned.setdefault(int(str(entry["size"])), []).append(str(entry["witness"]))
            identity = trustlog.log_identity(conn)
        return identity, [(s, r, at, cosigned.get(s, [])) for s, r, at in rows]

    def demo_cast(self) -> dict[str, Any]:
        """Who is who on a demo network (see `openscf.store.queries.demo_cast`)."""
        with self.engine.connect() as conn:
            return q.demo_cast(conn)
