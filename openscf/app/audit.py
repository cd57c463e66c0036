"""The independent auditor: check everything the log claims, from the bytes up.

Given the log (a database or an export directory), the auditor

1. recomputes every leaf hash from the stored event bytes (which must be canonical) and
   the Merkle root at every signed checkpoint, and checks each checkpoint's signature by
   the log's key, and each witness cosignature;
2. checks every event's signature: the acting organisation's key in force at the event's
   time (keys come from the log's own KeyRegistered / KeyRevoked events) signed the
   request behind it;
3. re-derives the events from each signed request with the domain's rules, so an event
   that says anything other than what the signed request decides is caught;
4. replays all events through the domain, checking every invariant, and compares the
   rebuilt receivables, exposures and keys with the stored state;
5. checks every registered risk model's artefact (kept beside the log, exported under
   `models/`) hashes to its registered hash, and recomputes every recorded risk decision
   from the artefact and the decision's feature vector through the scorer its model's
   kind names (`openscf.risk.scoring`), comparing the output byte for byte.

It stops at nothing: it reports every finding, and the first one names the first
offending event. `ok` means everything held.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from openscf.app.service import check_client_ids
from openscf.domain import events as ev
from openscf.domain.commands import command_from_data
from openscf.domain.decide import Actor, decide
from openscf.domain.errors import InvalidRequest, OpenSCFError
from openscf.domain.events import REQUEST_SIGNING_CONTEXT, record_from_data
from openscf.domain.model import OrgKey, Receivable
from openscf.domain.money import format_amount
from openscf.domain.replay import Replayer
from openscf.risk.scoring import ScorerError, score
from openscf.store import tables as t
from openscf.store.mapping import row_to_record
from openscf.store.queries import iter_event_bodies
from openscf.trust.canonical import canonical_bytes, decode_canonical
from openscf.trust.checkpoint import open_checkpoint
from openscf.trust.cosignature import CosignatureVerifier, parse_cosignature, verify_cosignature
from openscf.trust.errors import TrustError
from openscf.trust.keys import decode_public_key, verify_signature
from openscf.trust.merkle import MerkleAppender, hash_leaf
from openscf.trust.note import Ed25519NoteVerifier, parse_signature_line

__all__ = ["AuditReport", "Finding", "LogSource", "audit", "db_source", "export_source"]

REQUEST_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Finding:
    seq: int | None
    event_id: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"event {self.seq} ({self.event_id})" if self.seq else "log"
        return f"{where}: {self.code}: {self.message}"


@dataclass
class AuditReport:
    events: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    signatures_checked: int = 0
    receivables: int = 0
    models: int = 0
    decisions_recomputed: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    # Per acting organisation: events signed with a custodial key (the server signed on
    # its behalf) and with a key the organisation holds itself.
    signed_by: dict[str, dict[str, int]] = field(default_factory=dict)

    def count_signature(self, org_id: str, custodial: bool) -> None:
        counts = self.signed_by.setdefault(org_id, {"custodial": 0, "own_key": 0})
        counts["custodial" if custodial else "own_key"] += 1

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "checkpoints": self.checkpoints,
            "cosignatures": self.cosignatures,
            "signatures_checked": self.signatures_checked,
            "receivables": self.receivables,
            "models": self.models,
            "decisions_recomputed": self.decisions_recomputed,
            "seconds": round(self.seconds, 3),
            "signed_by": {org: dict(counts) for org, counts in sorted(self.signed_by.items())},
            "events_per_second": round(self.events / self.seconds) if self.seconds else None,
            "first_finding": str(self.findings[0]) if self.findings else None,
            "findings": [str(f) for f in self.findings[:100]],
        }


@dataclass
class LogSource:
    """What an auditor reads, wherever it comes from."""

    origin: str
    vkey: str
    events: Callable[[], Iterator[tuple[int, bytes]]]
    checkpoints: list[tuple[int, str]]
    cosignatures: list[tuple[int, str, str]]  # (size, witness, signature line)
    witnesses: dict[str, str]  # name -> vkey
    receivables: dict[str, Receivable] | None
    exposures: dict[str, int] | None
    keys: dict[str, OrgKey] | None
    # Risk model artefacts by model id (None: the source keeps none).
    artefacts: dict[str, bytes] | None = None


def db_source(engine: Engine) -> LogSource:
    with engine.connect() as conn:
        ident = conn.execute(select(t.log_identity.c.origin, t.log_identity.c.vkey)).first()
        if ident is None:
            raise InvalidRequest("no_log", "this database has no log (was it bootstrapped?)")
        checkpoints = [
            (int(s), n)
            for s, n in conn.execute(
                select(t.checkpoints.c.size, t.checkpoints.c.note).order_by(t.checkpoints.c.size)
            )
        ]
        cosigs = [
            (int(s), w, line)
            for s, w, line in conn.execute(
                select(t.cosignatures.c.size, t.cosignatures.c.witness, t.cosignatures.c.line)
            )
        ]
        witnesses = dict(conn.execute(select(t.witnesses.c.name, t.witnesses.c.vkey)).all())
        receivables = {
            r.id: r
            for r in (row_to_record(Receivable, row) for row in conn.execute(select(t.receivables)))
        }
        exposures = {
            row.key: int(row.outstanding_minor) for row in conn.execute(select(t.exposures))
        }
        keys = {
            k.id: k
            for k in (row_to_record(OrgKey, row) for row in conn.execute(select(t.org_keys)))
        }
        artefacts = {
            str(model_id): bytes(content)
            for model_id, content in conn.execute(
                select(t.risk_model_artefacts.c.model_id, t.risk_model_artefacts.c.content)
            )
        }

    def events() -> Iterator[tuple[int, bytes]]:
        with engine.connect() as conn:
            for rows in iter_event_bodies(conn):
                yield from rows

    return LogSource(
        ident[0],
        ident[1],
        events,
        checkpoints,
        cosigs,
        witnesses,
        receivables,
        exposures,
        keys,
        artefacts,
    )


def export_source(directory: Path) -> LogSource:
    """Read an export written by `openscf export` (format: docs/export-format.md)."""
    meta = json.loads((directory / "log.json").read_text())
    checkpoints = [(int(c["size"]), c["note"]) for c in _jsonl(directory / "checkpoints.jsonl")]
    cosigs = [
        (int(c["size"]), c["witness"], c["line"]) for c in _jsonl(directory / "cosignatures.jsonl")
    ]
    witnesses = json.loads((directory / "witnesses.json").read_text())
    state_dir = directory / "state"
    receivables = exposures = None
    if state_dir.is_dir():
        from openscf.store.mapping import values_to_record

        receivables = {}
        for row in _jsonl(state_dir / "receivables.jsonl"):
            columns = tuple(row)
            record = values_to_record(Receivable, columns, tuple(row.values()))
            receivables[record.id] = record
        exposures = {
            k: int(v) for k, v in json.loads((state_dir / "exposures.json").read_text()).items()
        }

    models_dir = directory / "models"
    artefacts = (
        {path.name: path.read_bytes() for path in models_dir.iterdir() if path.is_file()}
        if models_dir.is_dir()
        else None
    )

    def events() -> Iterator[tuple[int, bytes]]:
        with (directory / "events.jsonl").open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip(b"\n")

    return LogSource(
        meta["origin"],
        meta["vkey"],
        events,
        checkpoints,
        cosigs,
        witnesses,
        receivables,
        exposures,
        None,
        artefacts,
    )


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open() as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


class _Auditor:
    def __init__(self, source: LogSource) -> None:
        self.source = source
        self.report = AuditReport()
        self.replayer = Replayer()
        self.verified: set[tuple[str, str, str]] = set()
        self.pending: list[ev.EventRecord] = []  # events of one signed request

    def find(self, seq: int | None, event_id: str | None, code: str, message: str) -> None:
        self.report.findings.append(Finding(seq, event_id, code, message))

    # --- signatures and re-derivation -----------------------------------------------

    def _check_signature(self, record: ev.EventRecord, genesis: list[ev.EventRecord]) -> None:
        auth = record.auth
        if auth is None:
            self.find(record.seq, record.id, "unsigned_event", "the event carries no signature")
            return
        key = self.replayer.state.org_key(auth.key_id)
        if key is None and genesis:
            # The genesis events register the operator's key they are signed with.
            for e in genesis:
                if isinstance(e.event, ev.KeyRegistered) and e.event.key_id == auth.key_id:
                    key = OrgKey(
                        e.event.key_id,
                        e.event.org_id,
                        e.event.public_key,
                        e.event.custodial,
                        e.occurred_at,
                    )
        if key is None or key.org_id != record.org_id:
            self.find(
                record.seq, record.id, "unknown_key", f"{record.org_id} had no key {auth.key_id}"
            )
            return
        org = self.replayer.state.organisation(record.org_id)
        if (auth.custodial or key.custodial) and org is not None and org.custody_disabled:
            self.find(
                record.seq,
                record.id,
                "custody_disabled",
                f"{record.org_id} switched custody off, yet a custodial key "
                f"{auth.key_id} signed for it",
            )
        if not key.in_force_at(record.occurred_at):
            self.find(
                record.seq,
                record.id,
                "key_not_in_force",
                f"key {auth.key_id} was not in force at {record.occurred_at.isoformat()}",
            )
            return
        if key.custodial != auth.custodial:
            self.find(
                record.seq,
                record.id,
                "custody_mislabelled",
                "the event misstates whether the server held the key",
            )
        triple = (auth.key_id, auth.signature, auth.request)
        if triple not in self.verified:
            try:
                verify_signature(
                    decode_public_key(key.public_key),
                    REQUEST_SIGNING_CONTEXT + auth.request.encode(),
                    base64.b64decode(auth.signature, validate=True),
                )
            except (TrustError, ValueError):
                self.find(
                    record.seq,
                    record.id,
                    "invalid_signature",
                    f"the signature by {auth.key_id} does not verify",
                )
                return
            self.verified.add(triple)
            self.report.signatures_checked += 1

    def _derive(self, group: list[ev.EventRecord]) -> None:
        """The events of one signed request must be exactly what the rules decide."""
        first = group[0]
        assert first.auth is not None
        try:
            # The signature binds these exact bytes, so plain JSON parsing suffices here.
            request = json.loads(first.auth.request)
            kind = request["type"]
            if request["org"] != first.org_id or request["actor"] != first.actor_id:
                raise ValueError("the request names another organisation or actor")
            signed_at = ev.parse_instant(request["at"])
            if abs(signed_at - first.occurred_at) > REQUEST_SKEW:
                raise ValueError("the request was signed long before or after the event")
        except (TrustError, KeyError, TypeError, ValueError) as exc:
            self.find(first.seq, first.id, "invalid_request", str(exc))
            return
        if kind == "Bootstrap":
            if first.seq != 1:
                self.find(
                    first.seq,
                    first.id,
                    "late_bootstrap",
                    "only the log's first events may bootstrap the network",
                )
            return
        try:
            command = command_from_data(kind, request["data"])
            if not first.auth.custodial:
                # The network fills in no id of a request a client signed itself: every
                # id it creates was the client's choice, so lies in its namespace.
                check_client_ids(command, first.org_id)
            expected = decide(
                self.replayer.state,
                Actor(first.org_id, first.actor_id),
                command,
                first.occurred_at.date(),
            )
        except OpenSCFError as exc:
            self.find(
                first.seq,
                first.id,
                "not_derivable",
                f"the signed {kind} is refused by the rules ({exc.code}: {exc.message})",
            )
            return
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            self.find(
                first.seq,
                first.id,
                "not_derivable",
                f"the signed {kind} cannot be decided on the replayed state: {exc!r}",
            )
            return
        actual = [r.event for r in group]
        if expected != actual:
            self.find(
                first.seq,
                first.id,
                "events_differ_from_request",
                f"the signed {kind} decides {[e.TYPE for e in expected]} with other "
                "content than the events logged",
            )

    def _flush_group(self) -> None:
        group, self.pending = self.pending, []
        if not group:
            return
        genesis = group if group[0].seq == 1 else []
        self._check_signature(group[0], genesis)
        for record in group:
            if record.auth is not None:
                self.report.count_signature(record.org_id, record.auth.custodial)
        if group[0].auth is not None:
            self._derive(group)
        for record in group:
            if not self.replayer.step(record):
                self._check_risk(record)

    # --- risk models and decisions ----------------------------------------------------

    def _check_risk(self, record: ev.EventRecord) -> None:
        """A registered model's artefact hashes to its record; a recorded decision is
        what its model computes from its features (the event applied cleanly)."""
        e = record.event
        artefacts = self.source.artefacts or {}
        if isinstance(e, ev.RiskModelRegistered):
            self.report.models += 1
            artefact = artefacts.get(e.model_id)
            if artefact is None:
                self.find(
                    record.seq,
                    record.id,
                    "model_artefact_missing",
                    f"risk model {e.model_id} is registered but its artefact was not given",
                )
            elif hashlib.sha256(artefact).hexdigest() != e.content_sha256:
                self.find(
                    record.seq,
                    record.id,
                    "model_artefact_mismatch",
                    f"the artefact of {e.model_id} does not hash to its registered hash",
                )
            return
        if not isinstance(e, ev.RiskDecisionRecorded):
            return
        model = self.replayer.state.risk_model(e.model_id)
        artefact = artefacts.get(e.model_id)
        if model is None or artefact is None:
            return  # the replay, or the model's own check, reported it
        if hashlib.sha256(artefact).hexdigest() != model.content_sha256:
            return  # reported at the model's registration
        try:
            output = score(model.kind, artefact, decode_canonical(e.features.encode()))
            recomputed = canonical_bytes(output).decode()
        except (ScorerError, TrustError, ValueError) as exc:
            self.find(
                record.seq,
                record.id,
                "decision_not_reproduced",
                f"decision {e.decision_id} cannot be recomputed with {model.id}: {exc}",
            )
            return
        if recomputed != e.output:
            self.find(
                record.seq,
                record.id,
                "decision_not_reproduced",
                f"decision {e.decision_id}: {model.id} computes {recomputed} from the "
                f"recorded features, the log says {e.output}",
            )
            return
        self.report.decisions_recomputed += 1

    # --- the run ----------------------------------------------------------------------

    def run(self) -> AuditReport:
        started = time.perf_counter()
        source = self.source
        log_verifier = Ed25519NoteVerifier.from_vkey(source.vkey)
        checkpoints = dict(source.checkpoints)
        tree = MerkleAppender()
        expected_seq = 1
        for seq, body in source.events():
            if seq != expected_seq:
                self.find(seq, None, "sequence_gap", f"expected event {expected_seq}")
            expected_seq = seq + 1
            tree.append(hash_leaf(body))
            try:
                record = record_from_data(decode_canonical(body), seq)
            except (TrustError, OpenSCFError, KeyError, TypeError, ValueError) as exc:
                self.find(seq, None, "undecodable_event", f"not a canonical event: {exc}")
                continue
            self.report.events += 1
            if self.pending and (
                record.auth is None
                or self.pending[0].auth is None
                or record.auth.request != self.pending[0].auth.request
            ):
                self._flush_group()
            self.pending.append(record)
            if seq in checkpoints:
                self._flush_group()
                self._check_checkpoint(seq, checkpoints[seq], tree.root(), log_verifier)
        self._flush_group()
        last = max(checkpoints, default=0)
        if last > tree.size:
            self.find(
                None,
                None,
                "events_missing",
                f"the log holds {tree.size} events but a checkpoint signs {last}",
            )
        self._check_cosignatures(checkpoints)
        result = self.replayer.finish()
        for violation in result.violations:
            self.find(violation.seq, violation.event_id, violation.code, violation.message)
        self._compare_state()
        # Order by event so the first finding names the first offending event.
        self.report.findings.sort(key=lambda f: (f.seq is None, f.seq or 0))
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _check_checkpoint(
        self, size: int, note: str, root: bytes, verifier: Ed25519NoteVerifier
    ) -> None:
        self.report.checkpoints += 1
        try:
            checkpoint = open_checkpoint(
                note.encode(), verifier, origin=self.source.origin
            ).checkpoint
        except TrustError as exc:
            self.find(size, None, "bad_checkpoint", f"checkpoint {size}: {exc}")
            return
        if checkpoint.size != size or checkpoint.root_hash != root:
            self.find(
                size,
                None,
                "root_mismatch",
                f"the events up to {size} hash to another root than the signed "
                "checkpoint: an event was changed, removed, added or reordered",
            )

    def _check_cosignatures(self, checkpoints: dict[int, str]) -> None:
        for size, witness, line in self.source.cosignatures:
            self.report.cosignatures += 1
            note = checkpoints.get(size)
            vkey = self.source.witnesses.get(witness)
            try:
                if note is None or vkey is None:
                    raise ValueError("unknown checkpoint or witness")
                verifier = CosignatureVerifier.from_vkey(vkey)
                text = note.split("\n\n", 1)[0] + "\n"
                sig = parse_signature_line(line)
                verify_cosignature(text, parse_cosignature(sig), verifier)
            except (TrustError, ValueError) as exc:
                self.find(
                    None, None, "bad_cosignature", f"cosignature of {witness} on size {size}: {exc}"
                )

    def _compare_state(self) -> None:
        state = self.replayer.state
        stored = self.source.receivables
        if stored is not None:
            self.report.receivables = len(stored)
            for rid in sorted(set(stored) | set(state.receivables)):
                if stored.get(rid) != state.receivables.get(rid):
                    self.find(
                        None,
                        None,
                        "state_mismatch",
                        f"receivable {rid} in the state tables differs from the replay "
                        f"(stored {_brief(stored.get(rid))}, replayed "
                        f"{_brief(state.receivables.get(rid))})",
                    )
        if self.source.exposures is not None:
            mine = {k: v for k, v in state.exposures.items() if v}
            theirs = {k: v for k, v in self.source.exposures.items() if v}
            if mine != theirs:
                self.find(None, None, "state_mismatch", "stored exposures differ from replay")
        if self.source.keys is not None and self.source.keys != state.keys:
            self.find(None, None, "state_mismatch", "stored keys differ from replay")


def _brief(piece: Receivable | None) -> str:
    if piece is None:
        return "absent"
    return (
        f"holder {piece.holder_id}, face {format_amount(piece.face_minor, piece.currency)}, "
        f"{piece.status}"
    )


def audit(source: LogSource) -> AuditReport:
    return _Auditor(source).run()
