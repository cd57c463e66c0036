"""The network service: runs commands, one unit of work each.

    handle(user_id, command)        one command, one transaction
    handle_batch([(user, cmd) ...])  many commands, one transaction, all or nothing
    with session(): handle_many(...)  a batch job's many batches, one transaction
    bootstrap_operator(...)          the first organisation, on an empty database

Per command: load the actor, authorize, fill in missing ids, check idempotency, decide
(pure domain), apply the events to the transactional state, append them to the log,
remember the response under the idempotency key, commit. A lost race
(`ConcurrencyConflict`) reruns the whole command, which then sees the winner's result.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine

from openscf.app.clock import Clock, IdFactory, SystemClock
from openscf.app.keys import MasterKey
from openscf.app.policy import authorize
from openscf.domain import commands as c
from openscf.domain.apply import apply
from openscf.domain.decide import Actor, decide, id_namespace
from openscf.domain.errors import (
    ConcurrencyConflict,
    Conflict,
    InvalidRequest,
    OpenSCFError,
    PermissionDenied,
)
from openscf.domain.events import (
    REQUEST_SIGNING_CONTEXT,
    Auth,
    EventRecord,
    KeyRegistered,
    OrganisationRegistered,
    UserAdded,
    format_instant,
    parse_instant,
)
from openscf.domain.ids import check_client_id, tagged_id
from openscf.domain.state import State
from openscf.store.queries import LOG_KEY_ID, log_identity_and_secret, log_size
from openscf.store.uow import UnitOfWork, unit_of_work
from openscf.trust.canonical import EVENT_ENCODING_VERSION, canonical_bytes, decode_canonical
from openscf.trust.checkpoint import Checkpoint, sign_checkpoint
from openscf.trust.errors import TrustError
from openscf.trust.keys import SigningKey, decode_public_key, encode_public_key, verify_signature
from openscf.trust.note import Ed25519NoteSigner

__all__ = ["NetworkService", "Outcome"]

# The ids each command creates, by field, with their prefix. Missing ones are generated.
CREATES: dict[type[object], dict[str, str]] = {
    c.RegisterOrganisation: {"org_id": "org", "key_id": "key"},
    c.RegisterKey: {"key_id": "key"},
    c.AddUser: {"user_id": "usr"},
    c.RequestBankAccountChange: {"approval_id": "apr"},
    c.CreateProgram: {"program_id": "prg"},
    c.ConfirmInvoice: {"invoice_id": "inv", "receivable_id": "rcv", "approval_id": "apr"},
    c.TransferReceivable: {"new_receivable_id": "rcv", "part_id": "rcv", "remainder_id": "rcv"},
    c.RequestFinancing: {"request_id": "fin"},
    c.OfferFinancing: {"offer_id": "ofr"},
    c.AcceptFinancingOffer: {"new_receivable_id": "rcv"},
    c.OfferEarlyPayment: {"offer_id": "epo"},
    c.GrantPermission: {"approval_id": "apr"},
    c.PutBackReceivable: {"returned_receivable_id": "rcv", "recourse_id": "rcv"},
    c.RecordCreditNote: {"credit_id": "crd"},
    c.RaiseDispute: {"dispute_id": "dsp"},
    c.ResolveDispute: {"credit_id": "crd"},
    c.RequestObligorDefault: {"approval_id": "apr", "claim_id": "dfl"},
    c.RegisterRiskModel: {"model_id": "rmd"},
    c.RecordRiskDecision: {"decision_id": "rdc"},
    c.RaiseFraudFlag: {"flag_id": "ffl"},
}

T = TypeVar("T")
MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class Outcome:
    """What a command did: its events (with log sequence numbers), the ids it created and,
    for a transfer, what the response says of the piece it retired (`retired`: its id,
    face, currency, the amount that moved and whether only part of it moved), taken from
    the state the command was decided on, so no one reads the piece back afterwards."""

    command: str
    created: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False
    retired: dict[str, Any] | None = None

    def assign_seqs(self, seq_of: dict[str, int | None]) -> None:
        for event in self.events:
            event["seq"] = seq_of[event["id"]]

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "command": self.command,
            "created": self.created,
            "events": self.events,
        }
        if self.retired is not None:
            data["retired"] = self.retired
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        data = json.loads(text)
        return cls(
            data["command"],
            data["created"],
            data["events"],
            replayed=True,
            retired=data.get("retired"),
        )


def _retired_piece(state: State, command: c.Command) -> dict[str, Any] | None:
    """For a transfer the domain accepted, before its events apply: the piece it retires
    and how much of it moves (below the face: a split and a transfer of the part)."""
    if not isinstance(command, c.TransferReceivable):
        return None
    piece = state.receivable(command.receivable_id)
    assert piece is not None, "decide accepted a transfer of a piece it did not find"
    moved = piece.face_minor if command.amount_minor is None else command.amount_minor
    return {
        "receivable_id": piece.id,
        "face_minor": piece.face_minor,
        "currency": piece.currency,
        "amount_minor": moved,
        "partial": moved < piece.face_minor,
    }


class NetworkService:
    """Runs commands against one network database.

    seed: makes ids and custodial keys reproducible (simulation and tests only: seeded
    keys are predictable, so a real deployment never passes a seed).
    checkpoint_every_commit: sign a checkpoint in the same transaction as a commit (or
    batch); otherwise call `sign_checkpoint()` when convenient.
    checkpoint_interval_s: with checkpoint_every_commit, sign at most this often (0: every
    commit). Commits in between are covered by the next checkpoint, as transparency logs
    do with their signed tree heads; `sign_checkpoint()` closes the gap on demand.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock | None = None,
        *,
        seed: int | None = None,
        master_key: MasterKey | None = None,
        checkpoint_every_commit: bool = True,
        checkpoint_interval_s: float = 0.0,
        log_origin: str = "openscf.example/log",
    ) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self.ids = IdFactory(self.clock, seed)
        self._backoff = random.Random(seed)
        self._secret_random = random.Random(seed) if seed is not None else None
        self._master_key = master_key
        self._signers: dict[str, SigningKey] = {}
        self._log_signer: Ed25519NoteSigner | None = None
        self.checkpoint_every_commit = checkpoint_every_commit
        self.checkpoint_interval_s = checkpoint_interval_s
        self._last_checkpoint_at = float("-inf")
        self.log_origin = log_origin
        # Told (command type, outcome, error code) of every command run by handle,
        # handle_many and handle_signed: outcome "accepted", "refused" (the caller's
        # error) or "failed" (the system's); the metrics count them.
        self.observer: Callable[[str, str, str | None], None] | None = None
        self._session: UnitOfWork | None = None

    def _observe(self, command: Any, error: BaseException | None) -> None:
        if self.observer is None:
            return
        name = type(command).__name__
        if error is None:
            self.observer(name, "accepted", None)
        elif isinstance(error, OpenSCFError):
            self.observer(name, "refused" if error.fault == "caller" else "failed", error.code)
        else:
            self.observer(name, "failed", "internal_error")

    # --- keys ------------------------------------------------------------------------

    @property
    def master_key(self) -> MasterKey:
        if self._master_key is None:
            url = self.engine.url.render_as_string(hide_password=False)
            self._master_key = MasterKey.for_database(url)
        return self._master_key

    def _new_seed(self) -> bytes:
        if self._secret_random is not None:
            return self._secret_random.randbytes(32)
        return os.urandom(32)

    def _signer(self, uow: UnitOfWork, key_id: str) -> SigningKey:
        signer = self._signers.get(key_id)
        if signer is None:
            sealed = uow.sealed_secret(key_id)
            if sealed is None:
                raise PermissionDenied(
                    "signature_required", f"the server holds no secret for key {key_id}"
                )
            signer = SigningKey(self.master_key.unseal(key_id, sealed))
            self._signers[key_id] = signer
        return signer

    def _custodial_auth(self, uow: UnitOfWork, org_id: str, request: str, now: datetime) -> Auth:
        org = uow.state.organisation(org_id)
        if org is not None and org.custody_disabled:
            raise PermissionDenied(
                "custody_disabled",
                f"{org_id} switched custody off: the server signs nothing for it; send the "
                "request signed with its own key (openscf client or POST /v1/signed_requests)",
                None,
            )
        keys = [k for k in uow.state.org_keys(org_id) if k.custodial and k.in_force_at(now)]
        if not keys:
            raise PermissionDenied(
                "signature_required",
                f"{org_id} holds its own signing key: send the request signed "
                "(openscf client or API) rather than asking the server to sign",
                None,
            )
        key = keys[-1]
        signature = self._signer(uow, key.id).sign(REQUEST_SIGNING_CONTEXT + request.encode())
        return Auth(key.id, True, request, base64.b64encode(signature).decode())

    def _checkpoint_signer(self) -> Any:
        if not self.checkpoint_every_commit:
            return None
        moment = time.monotonic()
        if moment - self._last_checkpoint_at < self.checkpoint_interval_s:
            return None
        self._last_checkpoint_at = moment
        # Loaded before the write transaction opens (it reads on its own connection).
        signer = self._load_log_signer()

        def sign(size: int, root: bytes) -> tuple[str, str]:
            note = sign_checkpoint(Checkpoint(signer.name, size, root), [signer])
            return note.decode(), format_instant(self.clock.now())

        return sign

    def _load_log_signer(self) -> Ed25519NoteSigner:
        if self._log_signer is None:
            with self.engine.connect() as conn:
                origin, sealed = log_identity_and_secret(conn)
            self._log_signer = Ed25519NoteSigner(
                origin, SigningKey(self.master_key.unseal(LOG_KEY_ID, sealed))
            )
        return self._log_signer

    def sign_checkpoint(self) -> int:
        """Sign a checkpoint for the log as it stands (when not signing every commit)."""
        signer = self._load_log_signer()
        with unit_of_work(self.engine) as uow:
            return uow.checkpoint_now(
                lambda size, root: (
                    sign_checkpoint(Checkpoint(signer.name, size, root), [signer]).decode(),
                    format_instant(self.clock.now()),
                )
            )

    # --- ids and idempotency ---------------------------------------------------------

    def _fill_ids(self, command: Any) -> tuple[Any, list[str], dict[str, SigningKey]]:
        """Generate ids the client left out, and custodial keys a command asks for.

        Returns the completed command, the ids the client supplied itself (the
        idempotency key), and the new custodial keys (their seeds to seal and store).
        """
        supplied = created_ids(command)
        command = fill_missing_ids(command, self.ids)
        secrets: dict[str, SigningKey] = {}
        wants_key = (isinstance(command, c.RegisterOrganisation) and command.custodial_key) or (
            isinstance(command, c.RegisterKey) and command.custodial
        )
        if wants_key and command.public_key is None:
            key = SigningKey(self._new_seed())
            secrets[command.key_id] = key
            command = replace(command, public_key=encode_public_key(key.public_key))
        return command, supplied, secrets

    @staticmethod
    def _idempotency_key(
        org_id: str, command: object, supplied: list[str], explicit: str | None
    ) -> str | None:
        if explicit is not None:
            return f"{org_id}:key:{explicit}"
        if supplied:
            return f"{org_id}:{type(command).__name__}:{','.join(sorted(supplied))}"
        return None

    @staticmethod
    def _request_hash(user_id: str, command: c.Command, data: dict[str, Any] | None = None) -> str:
        # Plain sorted JSON, not the canonical encoding: the request may still hold values
        # the domain will refuse (an amount past 2^63-1), and hashing must not fail first.
        payload = {
            "type": type(command).__name__,
            "user": user_id,
            "data": c.command_to_data(command) if data is None else data,
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    # --- the command pipeline --------------------------------------------------------

    def _run(
        self,
        uow: UnitOfWork,
        user_id: str,
        command: Any,
        idempotency_key: str | None,
        signed: Auth | None = None,
    ) -> Outcome:
        state = uow.state
        user, org = state.actor(user_id)
        authorize(user, org, command)
        assert user is not None and org is not None
        data = c.command_to_data(command)
        request_hash = self._request_hash(user_id, command, data)  # before ids are filled in
        check_client_ids(command, org.id)  # before any lookup: see check_client_ids
        asked = command
        command, supplied, secrets = self._fill_ids(command)
        if signed is not None and (secrets or supplied != created_ids(command)):
            raise InvalidRequest(
                "missing_id",
                "a signed request names every id it creates, so that the signature covers them",
                None,
            )
        key = self._idempotency_key(org.id, command, supplied, idempotency_key)
        if key is not None:
            previous = uow.idempotent_response(key)
            if previous is not None:
                return _replayed(previous, request_hash)
        now = self.clock.now()
        try:
            events = decide(state, Actor(org.id, user.id), command, now.astimezone(UTC).date())
        except ConcurrencyConflict:
            raise
        except OpenSCFError:
            # A retry racing with its own first attempt: on PostgreSQL (read committed) the
            # first attempt may have committed after the lookup above, so the state now
            # refuses what the first attempt did. Its stored answer is the answer.
            previous = None if key is None else uow.idempotent_response(key, reread=True)
            if previous is not None:
                return _replayed(previous, request_hash)
            raise
        if signed is not None:
            auth = signed
        else:
            # The request's data as hashed above, unless ids were filled in since.
            text = request_text(command, org.id, user.id, now, data if command is asked else None)
            auth = self._custodial_auth(uow, org.id, text, now)
        for key_id, new_key in secrets.items():
            uow.store_secret(key_id, self.master_key.seal(key_id, new_key.seed))
            self._signers[key_id] = new_key
        records = [
            EventRecord(self.ids.new("evt"), org.id, user.id, now, event, None, auth)
            for event in events
        ]
        retired = _retired_piece(state, command)
        for record in records:
            apply(state, record)
        uow.append(records)
        created = {name: getattr(command, name) for name in CREATES.get(type(command), {})}
        if isinstance(command, c.SplitReceivable):
            created["piece_ids"] = list(command.piece_ids or ())
        outcome = Outcome(
            type(command).__name__,
            created,
            [{"seq": None, "id": r.id, "type": r.event.TYPE} for r in records],
            retired=retired,
        )
        if key is not None:
            uow.remember(key, request_hash, outcome, format_instant(now))
        return outcome

    def _unit_of_work(self, optimistic: bool) -> Any:
        """A unit of work for one attempt. The first attempt is optimistic: it runs
        beside other writers and loses if one of them changed what it read. A retry is
        exclusive: it waits for the log head before reading, so no other command can
        commit between its reads and its commit, and it cannot lose again (a conflict the
        client did not cause is never returned to it)."""
        return unit_of_work(
            self.engine,
            optimistic_ids=optimistic,
            exclusive=not optimistic,
            checkpoint_signer=self._checkpoint_signer(),
        )

    def _retrying(self, work: Any) -> Any:
        """Run `work(optimistic)`; after a lost race, again, exclusively (see
        `_unit_of_work`). The bound only guards against a bug: an exclusive attempt
        loses only to an id created concurrently, which the next attempt reports."""
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
            supplied = created_ids(command)
            key = None if org_id is None else self._idempotency_key(org_id, command, supplied, None)
            if key is not None:
                keys.append(key)
        return keys

    @staticmethod
    def _number(outcomes: list[Outcome], uow: UnitOfWork, first: int = 0) -> None:
        """Give each outcome's events the sequence numbers the log assigned at commit
        (`first`: where their events start in `uow.logged`)."""
        seq_of = {r.id: r.seq for r in uow.logged[first:]}
        for outcome in outcomes:
            if not outcome.replayed:
                outcome.assign_seqs(seq_of)

    def handle(
        self, user_id: str, command: c.Command, *, idempotency_key: str | None = None
    ) -> Outcome:
        """Run one command in its own transaction."""

        def work(optimistic: bool) -> Outcome:
            with self._unit_of_work(optimistic) as uow:
                outcome = self._run(uow, user_id, command, idempotency_key)
            # The block's end wrote the log: the events now have their sequence numbers.
            self._number([outcome], uow)
            return outcome

        try:
            result: Outcome = self._retrying(work)
        except Exception as exc:
            self._observe(command, exc)
            raise
        self._observe(command, None)
        return result

    def handle_batch(self, items: Sequence[tuple[str, c.Command]]) -> list[Outcome]:
        """Run many commands in one transaction: all of them commit, or none."""
        results = self.handle_many(items, stop_on_error=True)
        return [r for r in results if isinstance(r, Outcome)]

    def handle_many(
        self, items: Sequence[tuple[str, c.Command]], *, stop_on_error: bool = False
    ) -> list[Outcome | OpenSCFError]:
        """Run many commands in one transaction, each seeing the ones before it.

        With `stop_on_error`, the first refusal aborts the whole transaction (and is
        raised). Without it, a refused command leaves no trace (the domain decides before
        anything is written) and its error takes its place in the result list, so a
        caller such as the simulator can push thousands of commands per commit.
        """

        if self._session is not None:
            # Inside a session: written to the log now (numbered, checkpoint signed, as
            # its own commit would be), committed when the session ends.
            uow = self._session
            first = len(uow.logged)
            results = self._run_many(uow, items, stop_on_error)
            uow.log.checkpoint_signer = self._checkpoint_signer()
            uow.flush()
            self._number([r for r in results if isinstance(r, Outcome)], uow, first)
            return results

        def work(optimistic: bool) -> list[Outcome | OpenSCFError]:
            with self._unit_of_work(optimistic) as uow:
                results = self._run_many(uow, items, stop_on_error)
            self._number([r for r in results if isinstance(r, Outcome)], uow)
            return results

        result: list[Outcome | OpenSCFError] = self._retrying(work)
        if self.observer is not None:
            for (_user, command), answer in zip(items, result, strict=True):
                self._observe(command, answer if isinstance(answer, OpenSCFError) else None)
        return result

    def _run_many(
        self, uow: UnitOfWork, items: Sequence[tuple[str, c.Command]], stop_on_error: bool
    ) -> list[Outcome | OpenSCFError]:
        uow.state.prefetch(_mentioned_ids(items))
        uow.prefetch_idempotency(self._batch_keys(uow, items))
        results: list[Outcome | OpenSCFError] = []
        for user_id, command in items:
            try:
                results.append(self._run(uow, user_id, command, None))
            except ConcurrencyConflict:
                raise
            except OpenSCFError as exc:
                # A refusal is this item's answer; an error on the system's side
                # (the log's integrity ...) stops the whole batch.
                if stop_on_error or exc.fault == "system":
                    raise
                results.append(exc)
        return results

    @contextmanager
    def session(self) -> Iterator[None]:
        """One transaction for every `handle_many` inside the block: for a batch job that
        is the only writer (the simulator's day). Each `handle_many` is written to the
        log when it returns, exactly as if it had committed on its own (its events
        numbered, a checkpoint signed over them), and sees every batch before it; the
        block commits once at its end, or rolls all of them back on any exception. A
        lost race (another writer) is not retried here: it ends the session with
        `ConcurrencyConflict`. Other calls (`handle`, reads) run outside the session and,
        on SQLite, wait for it to commit: make them after the block."""
        if self._session is not None:
            raise RuntimeError("a session is already open on this service")
        with self._unit_of_work(True) as uow:
            self._session = uow
            try:
                yield
            finally:
                self._session = None

    def handle_signed(
        self, request: str, key_id: str, signature: str, *, idempotency_key: str | None = None
    ) -> Outcome:
        """Run a request the acting organisation signed itself (client-side keys).

        `request` is the canonical envelope text (see `request_text`); `signature` is the
        base64 Ed25519 signature by `key_id` over `REQUEST_SIGNING_CONTEXT + request`. A
        request signed with an unknown, revoked or rotated-out key, or whose signature
        does not verify, changes nothing.
        """
        command, org_id, user_id, _ = parse_request(request, self.clock.now())

        def work(optimistic: bool) -> Outcome:
            with self._unit_of_work(optimistic) as uow:
                now = self.clock.now()
                user, _org = uow.state.actor(user_id)
                if user is None or user.org_id != org_id:
                    raise PermissionDenied(
                        "unknown_user", "the request's actor is not a user of its org", None
                    )
                key = uow.state.org_key(key_id)
                if key is None or key.org_id != org_id:
                    raise PermissionDenied(
                        "unknown_key", f"{org_id} has no key {key_id!r}", "key_id"
                    )
                if not key.in_force_at(now):
                    raise PermissionDenied(
                        "key_not_in_force", f"key {key_id} is revoked or was rotated out", "key_id"
                    )
                try:
                    verify_signature(
                        decode_public_key(key.public_key),
                        REQUEST_SIGNING_CONTEXT + request.encode(),
                        base64.b64decode(signature, validate=True),
                    )
                except (TrustError, ValueError):
                    raise PermissionDenied(
                        "invalid_signature",
                        "the signature does not verify with the key",
                        "signature",
                    ) from None
                outcome = self._run(
                    uow,
                    user_id,
                    command,
                    idempotency_key,
                    Auth(key_id, key.custodial, request, signature),
                )
            self._number([outcome], uow)
            return outcome

        try:
            result: Outcome = self._retrying(work)
        except Exception as exc:
            self._observe(command, exc)
            raise
        self._observe(command, None)
        return result

    # --- use cases that write beside the commands ------------------------------------

    def transaction(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run `work(uow)` in one unit of work with this service's checkpoint signing, and
        again after a lost race (so `work` must be safe to repeat: it may run twice).

        For use cases that store their own rows (trade documents, bank entries) and run
        commands on them: rows and commands (through `run_in`) commit together, or none.
        """

        def attempt(optimistic: bool) -> T:
            with self._unit_of_work(optimistic) as uow:
                result = work(uow)
            return result

        result: T = self._retrying(attempt)
        return result

    def run_in(
        self, uow: UnitOfWork, user_id: str, command: c.Command, idempotency_key: str | None = None
    ) -> Outcome:
        """Run one command inside a unit of work opened by `transaction`: authorised,
        decided, signed (custodially) and logged exactly as `handle` does. The outcome's
        events carry no sequence numbers (they are assigned when the block commits)."""
        return self._run(uow, user_id, command, idempotency_key)

    def bootstrap_operator(
        self, name: str = "openscf network operator", country: str = "DE"
    ) -> tuple[str, str]:
        """Create the operator organisation, its first admin, its custodial key and the
        log's own signing key, on an empty network. The genesis events are signed by the
        operator's new key; everything after them is checked against keys they register.
        """
        org_id, user_id, key_id = self.ids.new("org"), self.ids.new("usr"), self.ids.new("key")
        operator_seed, log_seed = self._new_seed(), self._new_seed()
        operator_key = SigningKey(operator_seed)
        log_signer = Ed25519NoteSigner(self.log_origin, SigningKey(log_seed))
        now = self.clock.now()
        request = canonical_bytes(
            {
                "v": EVENT_ENCODING_VERSION,
                "type": "Bootstrap",
                "org": org_id,
                "actor": user_id,
                "at": format_instant(now),
                "data": {
                    "name": name,
                    "country": country,
                    "key_id": key_id,
                    "log_origin": self.log_origin,
                    "log_vkey": log_signer.verifier().vkey,
                },
            }
        ).decode()
        signature = operator_key.sign(REQUEST_SIGNING_CONTEXT + request.encode())
        auth = Auth(key_id, True, request, base64.b64encode(signature).decode())
        events = [
            OrganisationRegistered(org_id, name, ("operator",), country, None, None, None),
            KeyRegistered(key_id, org_id, encode_public_key(operator_key.public_key), True, None),
            UserAdded(user_id, org_id, "operator admin", ("admin", "checker", "maker")),
        ]

        def sign(size: int, root: bytes) -> tuple[str, str]:
            note = sign_checkpoint(Checkpoint(log_signer.name, size, root), [log_signer])
            return note.decode(), format_instant(now)

        with unit_of_work(self.engine, checkpoint_signer=sign) as uow:
            if log_size(uow.connection) != 0:
                raise Conflict("already_bootstrapped", "the network already has history")
            uow.set_log_identity(self.log_origin, log_signer.verifier().vkey)
            uow.store_secret(key_id, self.master_key.seal(key_id, operator_seed))
            uow.store_secret(LOG_KEY_ID, self.master_key.seal(LOG_KEY_ID, log_seed))
            records = [
                EventRecord(self.ids.new("evt"), org_id, user_id, now, e, None, auth)
                for e in events
            ]
            for record in records:
                apply(uow.state, record)
            uow.append(records)
        self._signers[key_id] = operator_key
        self._log_signer = log_signer
        return org_id, user_id


def _replayed(previous: tuple[str, str], request_hash: str) -> Outcome:
    """The stored answer to an identical request; a different request under the same
    key is refused."""
    if previous[0] != request_hash:
        raise Conflict(
            "idempotency_key_reused",
            "this id or Idempotency-Key was already used for a different request",
            "idempotency_key",
        )
    return Outcome.from_json(previous[1])


def request_text(
    command: c.Command,
    org_id: str,
    user_id: str,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> str:
    """The canonical envelope an organisation signs to ask for `command` (`data`: its
    `command_to_data`, when the caller has it already)."""
    return canonical_bytes(
        {
            "v": EVENT_ENCODING_VERSION,
            "type": type(command).__name__,
            "org": org_id,
            "actor": user_id,
            "at": format_instant(at),
            "data": c.command_to_data(command) if data is None else data,
        }
    ).decode()


REQUEST_MAX_SKEW = timedelta(minutes=5)


def parse_request(request: str, now: datetime) -> tuple[c.Command, str, str, datetime]:
    """(command, org, actor, signed at) from a signed envelope; refuses stale ones."""
    try:
        data = decode_canonical(request.encode())
        if not isinstance(data, dict) or data.get("v") != EVENT_ENCODING_VERSION:
            raise InvalidRequest("invalid_request_envelope", "unknown envelope version", "v")
        at = parse_instant(data["at"])
        command = c.command_from_data(data["type"], data["data"])
        org_id, user_id = data["org"], data["actor"]
    except (TrustError, KeyError, TypeError, ValueError):
        raise InvalidRequest(
            "invalid_request_envelope",
            "the signed request is not a canonical openscf envelope",
            "request",
        ) from None
    if abs(now - at) > REQUEST_MAX_SKEW:
        raise InvalidRequest(
            "stale_request",
            "the request was signed more than five minutes from the server's time; sign it again",
            "request",
        )
    return command, org_id, user_id, at


def created_ids(command: Any) -> list[str]:
    """The ids of what the command creates that are already filled in (by the client)."""
    ids = [getattr(command, n) for n in CREATES.get(type(command), {})]
    if isinstance(command, c.SplitReceivable):
        ids.extend(command.piece_ids or ())
    return [i for i in ids if i is not None]


def check_client_ids(command: Any, org_id: str) -> None:
    """Every id the client chose for what `command` creates lies in its namespace.

    Only the network mints untagged ids (a ULID body, 80 random bits): a client that
    supplies one, even ULID-shaped, is refused here, from the id and the organisation
    alone, before anything is looked up. `decide` accepts untagged ULID bodies because
    it cannot tell who filled them in; the auditor applies this check to every request
    a client signed itself, whose ids the network never fills in.
    """
    creates = CREATES.get(type(command), {})
    if (
        isinstance(command, c.RegisterOrganisation)
        and command.key_id is not None
        and (command.org_id is None)
    ):
        raise InvalidRequest(
            "missing_id",
            "a chosen key_id lives in the new organisation's "
            "namespace: choose its org_id too, or leave key_id out",
            "key_id",
        )
    namespace = id_namespace(command, org_id)
    for name, prefix in creates.items():
        value = getattr(command, name)
        if value is not None:
            check_client_id(prefix, value, name, namespace)
    if isinstance(command, c.SplitReceivable):
        for piece_id in command.piece_ids or ():
            check_client_id("rcv", piece_id, "piece_ids", namespace)


def fill_missing_ids(command: Any, ids: IdFactory, org_id: str | None = None) -> Any:
    """The command with a fresh id for everything it creates that has none yet.

    The network mints untagged ids; a client (`org_id` given) mints them in its own
    namespace, with a fresh ULID as its key.
    """

    def new(prefix: str) -> str:
        minted = ids.new(prefix)
        if org_id is None or prefix == "org":
            return minted
        return tagged_id(prefix, id_namespace(command, org_id), minted[len(prefix) + 1 :])

    changes: dict[str, Any] = (
        {"org_id": new("org")}
        if (isinstance(command, c.RegisterOrganisation) and command.org_id is None)
        else {}
    )
    command = replace(command, **changes) if changes else command
    changes = {
        name: new(prefix)
        for name, prefix in CREATES.get(type(command), {}).items()
        if getattr(command, name) is None
    }
    if isinstance(command, c.SplitReceivable) and command.piece_ids is None:
        changes["piece_ids"] = tuple(new("rcv") for _ in command.amounts_minor)
    return replace(command, **changes) if changes else command


def _mentioned_ids(items: Sequence[tuple[str, c.Command]]) -> Iterator[str]:
    """Every id a batch's commands name, so the batch can load them in a few queries."""
    for user_id, command in items:
        yield user_id
        for name in c.field_names(command):
            value = getattr(command, name)
            if isinstance(value, str):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, str))
