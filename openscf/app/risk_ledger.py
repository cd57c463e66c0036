"""Risk decisions on the log, for the operator's risk service, and who sees which.

- `register_model`: the artefact's bytes are hashed here and must match the hash the
  caller states (an artefact whose hash does not match is refused, nothing recorded);
  the `RegisterRiskModel` command and the artefact's row commit together. Artefacts are
  kept beside the log (`risk_model_artefacts`) and exported with it.
- `decide`: compute a decision with a registered model's stored artefact through the
  scorer registry (`openscf.risk.scoring`) and record it (`RecordRiskDecision`), so the
  recorded output is by construction what the auditor recomputes.
- `price_piece`: the indicative rate of a piece from a registered pricing model, with the
  program's realised LGD from its closed default claims.
- Reads: the operator and auditors see every flag and decision; an anchor sees the flags
  on invoices addressed to it (its review queue) and a supplier those on its own
  invoices; an organisation sees the decisions whose subject it is. Nobody else sees
  anything, and an id they name is answered as unknown. A piece's indicative price
  (`piece_prices`) is seen by its holder and, while a financing request on it is open,
  by the funders of its program, with the holder's grade and PD only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, insert, or_, select

from openscf.app.queries import FULL_READERS, Caller, Page, ReadModel
from openscf.app.service import NetworkService, Outcome
from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.errors import InvalidRequest, NotFound
from openscf.domain.model import FraudFlag, Program, Receivable, RiskDecision, RiskModel
from openscf.risk import pricing_model
from openscf.risk.pricing import realised_lgd_bps
from openscf.risk.scoring import ScorerError, features_sha256, features_text, score
from openscf.store import tables as t
from openscf.store.mapping import row_to_record
from openscf.store.uow import UnitOfWork
from openscf.trust.canonical import canonical_bytes, decode_canonical

__all__ = [
    "PiecePrice",
    "RiskLedger",
    "decision",
    "decisions",
    "fraud_flag",
    "fraud_flags",
    "piece_prices",
    "register_model",
]

MAX_ARTEFACT_BYTES = 16 * 1024 * 1024


def _full(caller: Caller) -> bool:
    return bool(FULL_READERS & set(caller.roles))


# --- writes -------------------------------------------------------------------------------


def register_model(
    service: NetworkService,
    user_id: str,
    *,
    kind: str,
    feature_names: tuple[str, ...],
    artefact: bytes,
    content_sha256: str | None = None,
    model_id: str | None = None,
    idempotency_key: str | None = None,
) -> Outcome:
    """Register a model and keep its artefact. `content_sha256`, when given, must be the
    sha256 of `artefact` (the record the caller expects the bytes to match)."""
    if not artefact or len(artefact) > MAX_ARTEFACT_BYTES:
        raise InvalidRequest(
            "invalid_artefact",
            f"a model artefact is 1 byte to {MAX_ARTEFACT_BYTES // (1024 * 1024)} MiB",
            "artefact",
        )
    digest = hashlib.sha256(artefact).hexdigest()
    if content_sha256 is not None and content_sha256 != digest:
        raise InvalidRequest(
            "artefact_hash_mismatch",
            f"the artefact hashes to {digest[:12]}..., not the stated "
            f"{content_sha256[:12]}...: send the artefact the record names",
            "content_sha256",
        )

    def work(uow: UnitOfWork) -> Outcome:
        outcome = service.run_in(
            uow,
            user_id,
            c.RegisterRiskModel(kind, digest, tuple(feature_names), model_id),
            idempotency_key,
        )
        if not outcome.replayed:
            uow.connection.execute(
                insert(t.risk_model_artefacts).values(
                    model_id=outcome.created["model_id"], content=artefact
                )
            )
        return outcome

    return service.transaction(work)


class RiskLedger:
    """The operator's risk service over one network: models, decisions, prices, and the
    artefacts and decisions without visibility rules (whoever runs it holds the database,
    like `openscf.app.queries.Ledger`)."""

    def __init__(self, service: NetworkService) -> None:
        self.service = service
        self.engine: Engine = service.engine

    # --- reads without visibility rules ---------------------------------------------

    def model(self, model_id: str) -> RiskModel:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.risk_models).where(t.risk_models.c.id == model_id)).first()
        if row is None:
            raise NotFound("unknown_model", f"no registered risk model {model_id!r}", "model_id")
        found: RiskModel = row_to_record(RiskModel, row)
        return found

    def models(self) -> list[RiskModel]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.risk_models).order_by(t.risk_models.c.id))
            return [row_to_record(RiskModel, r) for r in rows]

    def artefact(self, model_id: str) -> bytes:
        with self.engine.connect() as conn:
            content = conn.execute(
                select(t.risk_model_artefacts.c.content).where(
                    t.risk_model_artefacts.c.model_id == model_id
                )
            ).scalar()
        if content is None:
            raise NotFound("unknown_model", f"no artefact kept for {model_id!r}", "model_id")
        return bytes(content)

    def flags(self, status: str | None = None) -> list[FraudFlag]:
        query = select(t.fraud_flags).order_by(t.fraud_flags.c.id)
        if status:
            query = query.where(t.fraud_flags.c.status == status)
        with self.engine.connect() as conn:
            return [row_to_record(FraudFlag, r) for r in conn.execute(query)]

    def decisions(self, org_id: str | None = None) -> list[RiskDecision]:
        query = select(t.risk_decisions).order_by(t.risk_decisions.c.id)
        if org_id:
            query = query.where(t.risk_decisions.c.org_id == org_id)
        with self.engine.connect() as conn:
            return [row_to_record(RiskDecision, r) for r in conn.execute(query)]

    def realised_lgd(self, program_id: str) -> int | None:
        """The program's realised LGD in bps over its closed default claims, rounded up
        (None while it has none): from the DefaultClaimClosed events on the log."""
        claims: list[tuple[int, int]] = []
        query = (
            select(t.events.c.body)
            .where(t.events.c.type == ev.DefaultClaimClosed.TYPE)
            .order_by(t.events.c.seq)
        )
        with self.engine.connect() as conn:
            for (body,) in conn.execute(query):
                e = ev.record_from_data(decode_canonical(bytes(body))).event
                assert isinstance(e, ev.DefaultClaimClosed)
                for pid, exposure, loss in zip(
                    e.program_ids, e.program_exposures_minor, e.program_losses_minor, strict=True
                ):
                    if pid == program_id:
                        claims.append((exposure, loss))
        return realised_lgd_bps(claims)

    # --- decisions ---------------------------------------------------------------------

    def decide(
        self,
        user_id: str,
        *,
        model_id: str,
        kind: str,
        subject_kind: str,
        org_id: str,
        features: Mapping[str, object],
        program_id: str | None = None,
        invoice_number: str | None = None,
        receivable_id: str | None = None,
        decision_id: str | None = None,
    ) -> tuple[Outcome, dict[str, Any]]:
        """Score `features` with the registered model's artefact and record the decision.
        Returns the outcome and the output."""
        model = self.model(model_id)
        artefact = self.artefact(model_id)
        if hashlib.sha256(artefact).hexdigest() != model.content_sha256:
            raise InvalidRequest(
                "artefact_hash_mismatch",
                f"the artefact kept for {model_id} does not hash to its record",
                "model_id",
            )
        text = features_text(features)
        try:
            output = score(model.kind, artefact, decode_canonical(text.encode()))
        except ScorerError as exc:
            raise InvalidRequest("not_scorable", f"{model_id}: {exc}", "features") from None
        reasons = tuple(str(r)[:200] for r in output.get("reasons", ()))[:20]
        outcome = self.service.handle(
            user_id,
            c.RecordRiskDecision(
                kind,
                subject_kind,
                org_id,
                model.id,
                model.content_sha256,
                text,
                features_sha256(text),
                canonical_bytes(output).decode(),
                reasons,
                program_id,
                invoice_number,
                receivable_id,
                decision_id,
            ),
        )
        return outcome, output

    def price_piece(
        self,
        user_id: str,
        *,
        model_id: str,
        piece: Receivable,
        pd_bps: int,
        pd_horizon_days: int,
        today: date,
    ) -> tuple[Outcome, dict[str, Any]]:
        """Record the indicative price of a piece from a registered pricing model."""
        model = self.model(model_id)
        if model.kind != pricing_model.KIND:
            raise InvalidRequest(
                "not_a_pricing_model", f"{model_id} is a {model.kind} model", "model_id"
            )
        features = {
            "pd_bps": pd_bps,
            "pd_horizon_days": pd_horizon_days,
            "realised_lgd_bps": self.realised_lgd(piece.program_id),
            "tenor_days": max(1, (piece.due_on - today).days),
        }
        return self.decide(
            user_id,
            model_id=model_id,
            kind="price",
            subject_kind="receivable",
            org_id=piece.holder_id,
            receivable_id=piece.id,
            features=features,
        )


# --- reads with visibility ----------------------------------------------------------------


def fraud_flags(
    reads: ReadModel,
    caller: Caller,
    *,
    status: str | None = None,
    program_id: str | None = None,
    limit: int = 20,
    starting_after: str | None = None,
) -> Page[FraudFlag]:
    """The flags the caller reviews (operator, auditor: all; anchor: on invoices addressed
    to it) or that concern its own invoices (supplier)."""
    table = t.fraud_flags
    query = select(table)
    if not _full(caller):
        query = query.where(
            or_(table.c.anchor_id == caller.org_id, table.c.supplier_id == caller.org_id)
        )
    if status:
        query = query.where(table.c.status == status)
    if program_id:
        query = query.where(table.c.program_id == program_id)
    if starting_after:
        query = query.where(table.c.id > starting_after)
    query = query.order_by(table.c.id).limit(limit + 1)
    with reads.engine.connect() as conn:
        items = [row_to_record(FraudFlag, r) for r in conn.execute(query)]
    return Page(items[:limit], len(items) > limit)


def fraud_flag(reads: ReadModel, caller: Caller, flag_id: str) -> FraudFlag:
    with reads.engine.connect() as conn:
        row = conn.execute(select(t.fraud_flags).where(t.fraud_flags.c.id == flag_id)).first()
    flag: FraudFlag | None = None if row is None else row_to_record(FraudFlag, row)
    if flag is None or not (_full(caller) or caller.org_id in (flag.anchor_id, flag.supplier_id)):
        raise NotFound("unknown_fraud_flag", f"no fraud flag {flag_id!r}", "flag_id")
    return flag


def decisions(
    reads: ReadModel,
    caller: Caller,
    *,
    kind: str | None = None,
    limit: int = 20,
    starting_after: str | None = None,
) -> Page[RiskDecision]:
    """Decisions whose subject is the caller (the operator and auditors: all)."""
    table = t.risk_decisions
    query = select(table)
    if not _full(caller):
        query = query.where(table.c.org_id == caller.org_id)
    if kind:
        query = query.where(table.c.kind == kind)
    if starting_after:
        query = query.where(table.c.id > starting_after)
    query = query.order_by(table.c.id).limit(limit + 1)
    with reads.engine.connect() as conn:
        items = [row_to_record(RiskDecision, r) for r in conn.execute(query)]
    return Page(items[:limit], len(items) > limit)


def decision(reads: ReadModel, caller: Caller, decision_id: str) -> RiskDecision:
    with reads.engine.connect() as conn:
        row = conn.execute(
            select(t.risk_decisions).where(t.risk_decisions.c.id == decision_id)
        ).first()
    found: RiskDecision | None = None if row is None else row_to_record(RiskDecision, row)
    if found is None or not (_full(caller) or found.org_id == caller.org_id):
        raise NotFound("unknown_decision", f"no risk decision {decision_id!r}", "decision_id")
    return found


@dataclass(frozen=True)
class PiecePrice:
    """What a piece's indicative price shows: the latest price decision on it (its output:
    the rate and its parts, in bps) and the grade and PD of its holder's latest score.
    Nothing else of the holder's score (features, reasons) is in it."""

    receivable_id: str
    decision_id: str
    model_id: str
    decided_on: str
    output: dict[str, Any]
    grade: str | None
    pd_bps: int | None


def _may_see_price(caller: Caller, piece: Receivable, offered: set[str]) -> bool:
    """The holder of a piece sees its price, and so do the funders of its program while a
    financing request on it is open (it is offered to them); the operator and auditors
    see every price. Nobody else, whatever the piece."""
    return _full(caller) or piece.holder_id == caller.org_id or piece.id in offered


def piece_prices(
    reads: ReadModel, caller: Caller, receivable_ids: Sequence[str]
) -> dict[str, PiecePrice]:
    """The indicative prices of those of `receivable_ids` the caller may see (see
    `_may_see_price`); an unknown or hidden piece is simply absent."""
    ids = sorted(set(receivable_ids))
    if not ids:
        return {}
    r, fr, d = t.receivables, t.financing_requests, t.risk_decisions
    with reads.engine.connect() as conn:
        pieces = [
            row_to_record(Receivable, row) for row in conn.execute(select(r).where(r.c.id.in_(ids)))
        ]
        offered: set[str] = set()
        if not _full(caller):
            open_requests = conn.execute(
                select(fr.c.receivable_id, fr.c.program_id).where(
                    fr.c.receivable_id.in_(ids), fr.c.status == "open"
                )
            ).all()
            program_ids = sorted({program_id for _, program_id in open_requests})
            funders = {
                program.id: program.funder_ids
                for program in (
                    row_to_record(Program, row)
                    for row in conn.execute(
                        select(t.programs).where(t.programs.c.id.in_(program_ids))
                    )
                )
            }
            offered = {rid for rid, pid in open_requests if caller.org_id in funders.get(pid, ())}
        visible = {p.id: p for p in pieces if _may_see_price(caller, p, offered)}
        if not visible:
            return {}
        prices: dict[str, RiskDecision] = {}
        for row in conn.execute(
            select(d)
            .where(d.c.kind == "price", d.c.receivable_id.in_(sorted(visible)))
            .order_by(d.c.decided_on, d.c.id)
        ):
            found = row_to_record(RiskDecision, row)
            prices[str(found.receivable_id)] = found  # the latest wins
        holders = sorted({visible[rid].holder_id for rid in prices})
        scores: dict[str, RiskDecision] = {}
        for row in conn.execute(
            select(d)
            .where(d.c.kind == "score", d.c.org_id.in_(holders))
            .order_by(d.c.decided_on, d.c.id)
        ):
            found = row_to_record(RiskDecision, row)
            scores[found.org_id] = found
    out: dict[str, PiecePrice] = {}
    for rid, price in prices.items():
        holder_score = scores.get(visible[rid].holder_id)
        score_output = decode_canonical(holder_score.output.encode()) if holder_score else {}
        out[rid] = PiecePrice(
            rid,
            price.id,
            price.model_id,
            str(price.decided_on),
            dict(decode_canonical(price.output.encode())),
            score_output.get("grade"),
            score_output.get("pd_bps"),
        )
    return out
