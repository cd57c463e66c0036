"""The network service: runs commands, one unit of work each.

    handle(user_id, command)        one command, one transaction
    handle_batch([(user, cmd) ...])  many commands, one transaction, all or nothing
    bootstrap_operator(...)          the first organisation, on an empty database

Per command: load the actor, authorize, fill in missing ids, check idempotency, decide
(pure domain), apply the events to the transactional state, append them to the log,
remember the response under the idempotency key, commit. A lost race
(`ConcurrencyConflict`) reruns the whole command, which then sees the winner's result.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date
from typing import Any

from sqlalchemy import Engine

from openscf.app.clock import Clock, IdFactory, SystemClock
from openscf.app.policy import authorize
from openscf.domain import commands as c
from openscf.domain.apply import apply
from openscf.domain.decide import Actor, decide
from openscf.domain.errors import ConcurrencyConflict, Conflict, OpenSCFError
from openscf.domain.events import (
    EventRecord,
    OrganisationRegistered,
    UserAdded,
    format_instant,
)
from openscf.store.queries import log_size
from openscf.store.uow import UnitOfWork, unit_of_work

__all__ = ["NetworkService", "Outcome"]

# The ids each command creates, by field, with their prefix. Missing ones are generated.
CREATES: dict[type[object], dict[str, str]] = {
    c.RegisterOrganisation: {"org_id": "org"},
    c.AddUser: {"user_id": "usr"},
    c.RequestBankAccountChange: {"approval_id": "apr"},
    c.CreateProgram: {"program_id": "prg"},
    c.ConfirmInvoice: {"invoice_id": "inv", "receivable_id": "rcv", "approval_id": "apr"},
    c.TransferReceivable: {"new_receivable_id": "rcv", "part_id": "rcv", "remainder_id": "rcv"},
    c.RequestFinancing: {"request_id": "fin"},
    c.OfferFinancing: {"offer_id": "ofr"},
    c.AcceptFinancingOffer: {"new_receivable_id": "rcv"},
    c.OfferEarlyPayment: {"offer_id": "epo"},
}

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class Outcome:
    """What a command did: its events (with log sequence numbers) and the ids it created."""

    command: str
    created: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False

    def assign_seqs(self, seq_of: dict[str, int | None]) -> None:
        for event in self.events:
            event["seq"] = seq_of[event["id"]]

    def to_json(self) -> str:
        return json.dumps({"command": self.command, "created": self.created,
                           "events": self.events}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        data = json.loads(text)
        return cls(data["command"], data["created"], data["events"], replayed=True)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_FIELD_NAMES: dict[type[object], tuple[str, ...]] = {}


def command_data(command: object) -> dict[str, Any]:
    """A command's fields as plain JSON values (dates as ISO text, tuples as lists)."""
    names = _FIELD_NAMES.get(type(command))
    if names is None:
        names = tuple(f.name for f in fields(command))  # type: ignore[arg-type]
        _FIELD_NAMES[type(command)] = names
    return {name: _plain(getattr(command, name)) for name in names}


class NetworkService:
    def __init__(self, engine: Engine, clock: Clock | None = None, *,
                 seed: int | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self.ids = IdFactory(self.clock, seed)
        self._backoff = random.Random(seed)

    # --- ids and idempotency ---------------------------------------------------------

    def _fill_ids(self, command: Any) -> tuple[Any, list[str]]:
        """Generate ids the client left out; return the command and the client's own ids."""
        supplied: list[str] = []
        changes: dict[str, Any] = {}
        for name, prefix in CREATES.get(type(command), {}).items():
            value = getattr(command, name)
            if value is None:
                changes[name] = self.ids.new(prefix)
            else:
                supplied.append(value)
        if isinstance(command, c.SplitReceivable):
            if command.piece_ids is None:
                changes["piece_ids"] = tuple(self.ids.new("rcv") for _ in command.amounts_minor)
            else:
                supplied.extend(command.piece_ids)
        return (replace(command, **changes) if changes else command), supplied

    @staticmethod
    def _idempotency_key(org_id: str, command: object, supplied: list[str],
                         explicit: str | None) -> str | None:
        if explicit is not None:
            return f"{org_id}:key:{explicit}"
        if supplied:
            return f"{org_id}:{type(command).__name__}:{','.join(sorted(supplied))}"
        return None

    @staticmethod
    def _request_hash(user_id: str, command: object) -> str:
        # Plain sorted JSON, not the canonical encoding: the request may still hold values
        # the domain will refuse (an amount past 2^63-1), and hashing must not fail first.
        payload = {"type": type(command).__name__, "user": user_id, "data": command_data(command)}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    # --- the command pipeline --------------------------------------------------------

    def _run(self, uow: UnitOfWork, user_id: str, command: Any,
             idempotency_key: str | None) -> Outcome:
        state = uow.state
        user, org = state.actor(user_id)
        authorize(user, org, command)
        assert user is not None and org is not None
        request_hash = self._request_hash(user_id, command)  # before ids are filled in
        command, supplied = self._fill_ids(command)
        key = self._idempotency_key(org.id, command, supplied, idempotency_key)
        if key is not None:
            previous = uow.idempotent_response(key)
            if previous is not None:
                if previous[0] != request_hash:
                    raise Conflict(
                        "idempotency_key_reused",
                        "this id or Idempotency-Key was already used for a different request",
                        "idempotency_key",
                    )
                return Outcome.from_json(previous[1])
        now = self.clock.now()
        events = decide(state, Actor(org.id, user.id), command, now.astimezone(UTC).date())
        records = [EventRecord(self.ids.new("evt"), org.id, user.id, now, event)
                   for event in events]
        for record in records:
            apply(state, record)
        uow.append(records)
        created = {name: getattr(command, name) for name in CREATES.get(type(command), {})}
        if isinstance(command, c.SplitReceivable):
            created["piece_ids"] = list(command.piece_ids or ())
        outcome = Outcome(
            type(command).__name__, created,
            [{"seq": None, "id": r.id, "type": r.event.TYPE} for r in records],
        )
        if key is not None:
            uow.remember(key, request_hash, outcome, format_instant(now))
        return outcome

    def _retrying(self, work: Any) -> Any:
        """Run `work(optimistic)`; after a lost race, again (pessimistic about new ids)."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return work(attempt == 0)
            except ConcurrencyConflict:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                time.sleep(self._backoff.uniform(0, 0.002 * (2**attempt)))
        raise AssertionError("unreachable")

    def _batch_keys(self, uow: UnitOfWork, items: Sequence[tuple[str, c.Command]]) -> list[str]:
        """The idempotency keys a batch will look up, to read them in one query."""
        org_of = {}
        for user_id, _ in items:
            if user_id not in org_of:
                user = uow.state.user(user_id)
                org_of[user_id] = None if user is None else user.org_id
        uow.state.prefetch(o for o in org_of.values() if o)
        keys = []
        for user_id, command in items:
            org_id = org_of[user_id]
            supplied = [getattr(command, n) for n in CREATES.get(type(command), {})
                        if getattr(command, n) is not None]
            if isinstance(command, c.SplitReceivable) and command.piece_ids:
                supplied.extend(command.piece_ids)
            key = None if org_id is None else self._idempotency_key(org_id, command, supplied,
                                                                     None)
            if key is not None:
                keys.append(key)
        return keys

    @staticmethod
    def _number(outcomes: list[Outcome], uow: UnitOfWork) -> None:
        """Give each outcome's events the sequence numbers the log assigned at commit."""
        seq_of = {r.id: r.seq for r in uow.logged}
        for outcome in outcomes:
            if not outcome.replayed:
                outcome.assign_seqs(seq_of)

    def handle(self, user_id: str, command: c.Command, *,
               idempotency_key: str | None = None) -> Outcome:
        """Run one command in its own transaction."""
        def work(optimistic: bool) -> Outcome:
            with unit_of_work(self.engine, optimistic_ids=optimistic) as uow:
                outcome = self._run(uow, user_id, command, idempotency_key)
                # Sequence numbers exist once the log is written (at the end of the block).
                uow.flush()
            self._number([outcome], uow)
            return outcome
        result: Outcome = self._retrying(work)
        return result

    def handle_batch(self, items: Sequence[tuple[str, c.Command]]) -> list[Outcome]:
        """Run many commands in one transaction: all of them commit, or none."""
        results = self.handle_many(items, stop_on_error=True)
        return [r for r in results if isinstance(r, Outcome)]

    def handle_many(self, items: Sequence[tuple[str, c.Command]], *,
                    stop_on_error: bool = False) -> list[Outcome | OpenSCFError]:
        """Run many commands in one transaction, each seeing the ones before it.

        With `stop_on_error`, the first refusal aborts the whole transaction (and is
        raised). Without it, a refused command leaves no trace (the domain decides before
        anything is written) and its error takes its place in the result list, so a
        caller such as the simulator can push thousands of commands per commit.
        """
        def work(optimistic: bool) -> list[Outcome | OpenSCFError]:
            with unit_of_work(self.engine, optimistic_ids=optimistic) as uow:
                uow.state.prefetch(_mentioned_ids(items))
                uow.prefetch_idempotency(self._batch_keys(uow, items))
                results: list[Outcome | OpenSCFError] = []
                for user_id, command in items:
                    try:
                        results.append(self._run(uow, user_id, command, None))
                    except ConcurrencyConflict:
                        raise
                    except OpenSCFError as exc:
                        if stop_on_error:
                            raise
                        results.append(exc)
                uow.flush()
            self._number([r for r in results if isinstance(r, Outcome)], uow)
            return results
        result: list[Outcome | OpenSCFError] = self._retrying(work)
        return result

    def bootstrap_operator(self, name: str = "openscf network operator",
                           country: str = "DE") -> tuple[str, str]:
        """Create the operator organisation and its first admin on an empty network."""
        with unit_of_work(self.engine) as uow:
            if log_size(uow.connection) != 0:
                raise Conflict("already_bootstrapped", "the network already has history")
            org_id, user_id = self.ids.new("org"), self.ids.new("usr")
            now = self.clock.now()
            events = [
                OrganisationRegistered(org_id, name, ("operator",), country, None, None, None),
                UserAdded(user_id, org_id, "operator admin", ("admin", "checker", "maker")),
            ]
            records = [EventRecord(self.ids.new("evt"), org_id, user_id, now, e) for e in events]
            for record in records:
                apply(uow.state, record)
            uow.append(records)
        return org_id, user_id


def _mentioned_ids(items: Sequence[tuple[str, c.Command]]) -> Iterator[str]:
    """Every id a batch's commands name, so the batch can load them in a few queries."""
    for user_id, command in items:
        yield user_id
        for f in fields(command):
            value = getattr(command, f.name)
            if isinstance(value, str):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, str))


def command_fields(command_type: type[object]) -> Iterable[str]:
    return (f.name for f in fields(command_type))  # type: ignore[arg-type]
