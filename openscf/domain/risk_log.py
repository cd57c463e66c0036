"""Risk decisions on the log: registered models, recorded decisions, fraud flags.

A score, price or fraud flag that gates or prices an action is a fact on the log, so that
no one has to trust the operator's word that it came from the model it claims:

- `RegisterRiskModel` (the operator's risk service): a model id, the scorer `kind` that
  reads its artefact, the sha256 of the artefact's exact bytes and its feature names. The
  artefact itself is kept by the operator and exported beside the log; the auditor
  checks it hashes to the registered hash.
- `RecordRiskDecision` (the operator): a decision cites a registered model *and its hash*
  (a decision citing an unregistered model, or another hash, is refused); its feature
  vector is a canonical JSON object whose keys are exactly the model's feature names (a
  feature set from another model version is refused) and whose sha256 is the recorded
  hash; its output is a canonical JSON object whose shape the decision's kind fixes
  (`OUTPUT_SHAPES`). The auditor recomputes the output from the exported artefact and
  the feature vector (`openscf.app.audit`, through `openscf.risk.scoring`).
- `RaiseFraudFlag` (the operator) flags a supplier's invoice, named by number whether it
  is confirmed yet or not (or through a piece of its receivable). While the flag is open
  the invoice cannot be confirmed (`invoice_flagged`) and no piece of its receivable can
  be financed or paid early (`receivable_flagged`); at most one flag is open per invoice.
- `ClearFraudFlag`: a *checker* of the operator, or of the anchor the invoice is addressed
  to, clears it with a reason; never the user who raised it (maker-checker), never any
  other organisation.

The replay re-checks all of it from the events alone (`check_event`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import date
from typing import Any

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.apply import _apply
from openscf.domain.decide import Actor, _decide, _is_operator, _new_id, _operator_only, _program
from openscf.domain.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from openscf.domain.invoice_number import exact_invoice_number_key
from openscf.domain.model import FraudFlag, Receivable, RiskDecision, RiskModel
from openscf.domain.state import InMemoryState, State
from openscf.trust.canonical import canonical_bytes, decode_canonical
from openscf.trust.errors import TrustError

__all__ = [
    "DECISION_KINDS",
    "OUTPUT_SHAPES",
    "SUBJECT_KINDS",
    "canonical_text",
    "check_event",
    "check_not_flagged",
    "check_piece_not_flagged",
    "features_sha256",
    "flag_on_piece",
    "output_problem",
]

DECISION_KINDS = ("score", "price", "fraud_flag")
SUBJECT_KINDS = ("organisation", "invoice", "receivable")
# What each kind of decision must state in its output (more keys may follow).
OUTPUT_SHAPES: dict[str, tuple[str, ...]] = {
    "score": ("pd_bps", "grade"),
    "price": (
        "rate_bps",
        "cost_of_funds_bps",
        "expected_loss_bps",
        "capital_charge_bps",
        "margin_bps",
    ),
    "fraud_flag": ("flagged",),
}
MAX_FEATURES_BYTES = 65_536
MAX_OUTPUT_BYTES = 16_384
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")


def features_sha256(features: str) -> str:
    """The hash a decision records for its feature vector: sha256 of its exact bytes."""
    return hashlib.sha256(features.encode()).hexdigest()


# --- hooks the confirmation and financing rules call --------------------------------------


def check_not_flagged(state: State, anchor_id: str, supplier_id: str, number: str) -> None:
    if not state.any_open_fraud_flag():
        return
    flag = state.open_fraud_flag(anchor_id, supplier_id, number)
    if flag is not None:
        raise Conflict(
            "invoice_flagged",
            f"invoice {number!r} of {supplier_id} is held by fraud flag {flag.id} "
            f"({flag.detector_id}); a checker must clear the flag before it is confirmed",
            "invoice_number",
        )


def flag_on_piece(state: State, piece: Receivable) -> FraudFlag | None:
    """The open flag on the invoice behind the piece, if any."""
    if not state.any_open_fraud_flag():
        return None
    invoice = state.invoice(piece.invoice_id)
    if invoice is None:
        return None
    return state.open_fraud_flag(invoice.anchor_id, invoice.supplier_id, invoice.number)


def check_piece_not_flagged(state: State, piece: Receivable, param: str) -> None:
    flag = flag_on_piece(state, piece)
    if flag is not None:
        raise Conflict(
            "receivable_flagged",
            f"{piece.id} comes from invoice {flag.invoice_number!r}, held by fraud flag "
            f"{flag.id} ({flag.detector_id}); a checker must clear the flag before it is "
            "financed or paid early",
            param,
        )


# --- checks of the parts of a command -----------------------------------------------------


def _hex64(value: str, param: str) -> str:
    if len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value):
        raise InvalidRequest("invalid_digest", f"{param} is 64 lower-case hex digits", param)
    return value


def _name(value: str, param: str, what: str) -> str:
    if not _NAME.match(value):
        raise InvalidRequest(
            f"invalid_{param}",
            f"{what} is 1-64 characters: letters, digits and _ . : / -",
            param,
        )
    return value


def _text(value: str, param: str, most: int) -> str:
    text = value.strip()
    if not text or len(text) > most:
        raise InvalidRequest(f"invalid_{param}", f"{param} is 1-{most} characters", param)
    return text


def _canonical_object(text: str, param: str, most: int) -> dict[str, Any]:
    data = text.encode()
    if len(data) > most:
        raise InvalidRequest(f"invalid_{param}", f"{param} is at most {most} bytes", param)
    try:
        value = decode_canonical(data)
    except (TrustError, ValueError):
        raise InvalidRequest(
            f"invalid_{param}",
            f"{param} must be a canonical JSON object (sorted keys, no spaces, no floats)",
            param,
        ) from None
    if not isinstance(value, dict):
        raise InvalidRequest(f"invalid_{param}", f"{param} must be a JSON object", param)
    return value


def output_problem(kind: str, output: dict[str, Any]) -> str | None:
    """Why an output does not fit its decision kind, or None."""
    missing = [k for k in OUTPUT_SHAPES[kind] if k not in output]
    if missing:
        return f"a {kind} decision states {', '.join(OUTPUT_SHAPES[kind])}; missing {missing}"
    if kind == "score":
        pd, grade = output["pd_bps"], output["grade"]
        if type(pd) is not int or not 0 <= pd <= 10_000:
            return "pd_bps is a whole number of basis points, 0-10000"
        if not isinstance(grade, str) or not 1 <= len(grade) <= 8:
            return "grade is 1-8 characters"
    elif kind == "price":
        parts = [output[k] for k in OUTPUT_SHAPES["price"]]
        if any(type(p) is not int or p < 0 for p in parts):
            return "a price states whole, non-negative basis points"
        if parts[0] != sum(parts[1:]):
            return "rate_bps is the sum of its parts"
    elif type(output["flagged"]) is not bool:
        return "flagged is true or false"
    return None


def _reasons(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(values) > 20 or any(
        not isinstance(v, str) or not v.strip() or len(v) > 200 for v in values
    ):
        raise InvalidRequest(
            "invalid_reasons", "reasons: at most 20 entries of 1-200 characters", "reasons"
        )
    return values


def _subject(state: State, cmd: c.RecordRiskDecision) -> tuple[str | None, str | None, str | None]:
    """(program_id, invoice_number, receivable_id) of a decision's subject, checked."""
    if cmd.subject_kind not in SUBJECT_KINDS:
        raise InvalidRequest(
            "invalid_subject_kind",
            f"subject_kind is one of {', '.join(SUBJECT_KINDS)}",
            "subject_kind",
        )
    if state.organisation(cmd.org_id) is None:
        raise NotFound("unknown_organisation", f"no organisation {cmd.org_id!r}", "org_id")
    named = {
        "program_id": cmd.program_id,
        "invoice_number": cmd.invoice_number,
        "receivable_id": cmd.receivable_id,
    }
    wanted = {
        "organisation": (),
        "invoice": ("program_id", "invoice_number"),
        "receivable": ("receivable_id",),
    }[cmd.subject_kind]
    for name, value in named.items():
        if (value is not None) != (name in wanted):
            raise InvalidRequest(
                "invalid_subject",
                f"a decision on an {cmd.subject_kind} names "
                f"{', '.join(('org_id', *wanted))} and nothing else",
                name,
            )
    if cmd.subject_kind == "invoice":
        assert cmd.program_id is not None and cmd.invoice_number is not None
        program = _program(state, cmd.program_id)
        if state.relationship(program.id, cmd.org_id) is None:
            raise Conflict(
                "supplier_not_onboarded",
                f"{cmd.org_id} is not onboarded into {program.id}",
                "org_id",
            )
        return program.id, _text(cmd.invoice_number, "invoice_number", 64), None
    if cmd.subject_kind == "receivable":
        assert cmd.receivable_id is not None
        piece = state.receivable(cmd.receivable_id)
        if piece is None:
            raise NotFound(
                "unknown_receivable", f"no receivable {cmd.receivable_id!r}", "receivable_id"
            )
        if cmd.org_id not in (piece.holder_id, piece.supplier_id, piece.obligor_id):
            raise InvalidRequest(
                "invalid_subject",
                f"org_id names {piece.id}'s holder, supplier or obligor",
                "org_id",
            )
        return None, None, piece.id
    return None, None, None


# --- rules --------------------------------------------------------------------------------


@_decide.register
def _(cmd: c.RegisterRiskModel, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _operator_only(state, actor, "registers risk models")
    model_id = _new_id(state, actor, "rmd", cmd.model_id, "model_id")
    kind = _name(cmd.kind, "kind", "a model kind (the scorer that reads it)")
    digest = _hex64(cmd.content_sha256, "content_sha256")
    names = cmd.feature_names
    if not 1 <= len(names) <= 500 or len(set(names)) != len(names):
        raise InvalidRequest(
            "invalid_feature_names",
            "feature_names: 1-500 distinct names, in the order the model reads them",
            "feature_names",
        )
    for name in names:
        _name(name, "feature_names", "a feature name")
    return [ev.RiskModelRegistered(model_id, kind, digest, tuple(names), today)]


@_decide.register
def _(cmd: c.RecordRiskDecision, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _operator_only(state, actor, "records risk decisions (its risk service does)")
    decision_id = _new_id(state, actor, "rdc", cmd.decision_id, "decision_id")
    if cmd.kind not in DECISION_KINDS:
        raise InvalidRequest(
            "invalid_decision_kind", f"kind is one of {', '.join(DECISION_KINDS)}", "kind"
        )
    program_id, number, receivable_id = _subject(state, cmd)
    model = state.risk_model(cmd.model_id)
    if model is None:
        raise NotFound(
            "unknown_model",
            f"no registered risk model {cmd.model_id!r}; register the model before "
            "recording decisions that cite it",
            "model_id",
        )
    if cmd.model_sha256 != model.content_sha256:
        raise Conflict(
            "model_hash_mismatch",
            f"{model.id} is registered with content hash {model.content_sha256[:12]}..., "
            f"not {cmd.model_sha256[:12]}...: the decision names another artefact",
            "model_sha256",
        )
    features = _canonical_object(cmd.features, "features", MAX_FEATURES_BYTES)
    if sorted(features) != sorted(model.feature_names):
        raise InvalidRequest(
            "features_mismatch",
            f"the feature vector does not carry exactly {model.id}'s features "
            "(a feature set from another model version?)",
            "features",
        )
    if cmd.features_sha256 != features_sha256(cmd.features):
        raise InvalidRequest(
            "features_hash_mismatch",
            "features_sha256 is not the sha256 of the features' bytes",
            "features_sha256",
        )
    output = _canonical_object(cmd.output, "output", MAX_OUTPUT_BYTES)
    problem = output_problem(cmd.kind, output)
    if problem is not None:
        raise InvalidRequest("invalid_output", problem, "output")
    return [
        ev.RiskDecisionRecorded(
            decision_id,
            cmd.kind,
            cmd.subject_kind,
            cmd.org_id,
            program_id,
            number,
            receivable_id,
            model.id,
            model.content_sha256,
            cmd.features_sha256,
            cmd.features,
            cmd.output,
            _reasons(cmd.reasons),
            today,
        )
    ]


@_decide.register
def _(cmd: c.RaiseFraudFlag, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _operator_only(state, actor, "raises fraud flags (its risk service does)")
    flag_id = _new_id(state, actor, "ffl", cmd.flag_id, "flag_id")
    detector = _name(cmd.detector_id, "detector_id", "a detector id")
    evidence = _text(cmd.evidence, "evidence", 500)
    digest = _hex64(cmd.evidence_sha256, "evidence_sha256")
    if cmd.receivable_id is not None:
        if any(v is not None for v in (cmd.program_id, cmd.supplier_id, cmd.invoice_number)):
            raise InvalidRequest(
                "invalid_subject",
                "flag an invoice by program_id, supplier_id and invoice_number, or through "
                "a piece by receivable_id; not both",
                "receivable_id",
            )
        piece = state.receivable(cmd.receivable_id)
        invoice = None if piece is None else state.invoice(piece.invoice_id)
        if piece is None or invoice is None:
            raise NotFound(
                "unknown_receivable", f"no receivable {cmd.receivable_id!r}", "receivable_id"
            )
        program_id, supplier_id, number = invoice.program_id, invoice.supplier_id, invoice.number
        anchor_id = invoice.anchor_id
    else:
        if cmd.program_id is None or cmd.supplier_id is None or cmd.invoice_number is None:
            raise InvalidRequest(
                "invalid_subject",
                "name the invoice (program_id, supplier_id, invoice_number) or a piece "
                "(receivable_id)",
                "invoice_number",
            )
        program = _program(state, cmd.program_id)
        if state.relationship(program.id, cmd.supplier_id) is None:
            raise Conflict(
                "supplier_not_onboarded",
                f"{cmd.supplier_id} is not onboarded into {program.id}",
                "supplier_id",
            )
        program_id, supplier_id, anchor_id = program.id, cmd.supplier_id, program.anchor_id
        number = _text(cmd.invoice_number, "invoice_number", 64)
        invoice = state.invoice_by_number(anchor_id, supplier_id, number)
    open_one = state.open_fraud_flag(anchor_id, supplier_id, number)
    if open_one is not None:
        raise Conflict(
            "fraud_flag_open",
            f"invoice {number!r} of {supplier_id} is already flagged ({open_one.id})",
            "invoice_number",
        )
    if cmd.decision_id is not None:
        decision = state.risk_decision(cmd.decision_id)
        if decision is None or decision.kind != "fraud_flag":
            raise NotFound(
                "unknown_decision",
                f"no recorded fraud_flag decision {cmd.decision_id!r}",
                "decision_id",
            )
    return [
        ev.FraudFlagRaised(
            flag_id,
            program_id,
            anchor_id,
            supplier_id,
            number,
            None if invoice is None else invoice.id,
            cmd.receivable_id,
            detector,
            evidence,
            digest,
            cmd.decision_id,
            today,
        )
    ]


@_decide.register
def _(cmd: c.ClearFraudFlag, state: State, actor: Actor, today: date) -> list[ev.Event]:
    flag = state.fraud_flag(cmd.flag_id)
    if flag is None:
        raise NotFound("unknown_fraud_flag", f"no fraud flag {cmd.flag_id!r}", "flag_id")
    if actor.org_id != flag.anchor_id and not _is_operator(state, actor):
        raise PermissionDenied(
            "not_flag_reviewer",
            f"only the operator or {flag.anchor_id}, the anchor the invoice is addressed "
            f"to, clears {flag.id}",
            "flag_id",
        )
    if flag.status != "open":
        raise Conflict("fraud_flag_not_open", f"{flag.id} is already {flag.status}", "flag_id")
    if actor.user_id == flag.raised_by:
        raise PermissionDenied(
            "same_user_cannot_clear",
            f"{actor.user_id} raised {flag.id}; another checker clears it",
            "flag_id",
        )
    reason = _text(cmd.reason, "reason", 200)
    return [
        ev.FraudFlagCleared(
            flag.id,
            flag.program_id,
            flag.anchor_id,
            flag.supplier_id,
            flag.invoice_number,
            reason,
            today,
        )
    ]


# --- how the events change the state ------------------------------------------------------


@_apply.register
def _(e: ev.RiskModelRegistered, state: State, record: ev.EventRecord) -> None:
    state.put(RiskModel(e.model_id, e.kind, e.content_sha256, e.feature_names, e.registered_on))


@_apply.register
def _(e: ev.RiskDecisionRecorded, state: State, record: ev.EventRecord) -> None:
    state.put(
        RiskDecision(
            e.decision_id,
            e.kind,
            e.subject_kind,
            e.org_id,
            e.program_id,
            e.invoice_number,
            e.receivable_id,
            e.model_id,
            e.model_sha256,
            e.features_sha256,
            e.features,
            e.output,
            e.reasons,
            e.decided_on,
        )
    )


@_apply.register
def _(e: ev.FraudFlagRaised, state: State, record: ev.EventRecord) -> None:
    state.put(
        FraudFlag(
            e.flag_id,
            e.program_id,
            e.anchor_id,
            e.supplier_id,
            e.invoice_number,
            exact_invoice_number_key(e.invoice_number),
            e.invoice_id,
            e.receivable_id,
            e.detector_id,
            e.evidence,
            e.evidence_sha256,
            e.decision_id,
            "open",
            record.actor_id,
            e.raised_on,
        )
    )


@_apply.register
def _(e: ev.FraudFlagCleared, state: State, record: ev.EventRecord) -> None:
    flag = state.fraud_flag(e.flag_id)
    assert flag is not None, e.flag_id
    state.put(
        replace(
            flag,
            status="cleared",
            cleared_by=record.actor_id,
            clear_reason=e.reason,
            cleared_on=e.cleared_on,
        )
    )


# --- the replay's reading -------------------------------------------------------------------


def _operator(state: InMemoryState, org: str) -> bool:
    acting = state.organisation(org)
    return acting is not None and "operator" in acting.roles


def _financed_piece(state: InMemoryState, e: ev.Event) -> str | None:
    """The piece a financing or early-payment event moves money on, if it is one."""
    if isinstance(e, ev.FinancingRequested | ev.FinancingOffered | ev.FinancingOfferAccepted):
        return e.receivable_id
    if isinstance(e, ev.ReceivablePaidEarly):
        return e.receivable_id
    return None


def check_event(state: InMemoryState, record: ev.EventRecord) -> str | None:
    e, org = record.event, record.org_id
    if isinstance(e, ev.RiskModelRegistered):
        if not _operator(state, org):
            return f"{org} registered risk model {e.model_id}; only the operator may"
        if e.model_id in state.risk_models:
            return f"risk model id {e.model_id} reused"
        return None
    if isinstance(e, ev.RiskDecisionRecorded):
        return _check_decision(state, e, org)
    if isinstance(e, ev.FraudFlagRaised):
        if not _operator(state, org):
            return f"{org} raised fraud flag {e.flag_id}; only the operator may"
        program = state.program(e.program_id)
        if program is None or program.anchor_id != e.anchor_id:
            return f"fraud flag {e.flag_id} names {e.anchor_id}, not {e.program_id}'s anchor"
        if state.open_fraud_flag(e.anchor_id, e.supplier_id, e.invoice_number) is not None:
            return f"invoice {e.invoice_number} already flagged"
        if e.flag_id in state.fraud_flags:
            return f"fraud flag id {e.flag_id} reused"
        return None
    if isinstance(e, ev.FraudFlagCleared):
        flag = state.fraud_flag(e.flag_id)
        if flag is None or flag.status != "open":
            return f"fraud flag {e.flag_id} is not open"
        if org != flag.anchor_id and not _operator(state, org):
            return f"{org} cleared {flag.id}; only the operator or {flag.anchor_id} may"
        if record.actor_id == flag.raised_by:
            return f"{record.actor_id} cleared the flag it raised ({flag.id})"
        return None
    if isinstance(e, ev.ReceivableIssued):
        flag = state.open_fraud_flag(e.obligor_id, e.supplier_id, e.invoice_number)
        if flag is not None:
            return f"invoice {e.invoice_number} confirmed while held by fraud flag {flag.id}"
        return None
    piece_id = _financed_piece(state, e)
    if piece_id is not None:
        piece = state.receivable(piece_id)
        flag = None if piece is None else flag_on_piece(state, piece)
        if flag is not None:
            return f"{piece_id} financed or paid early while held by fraud flag {flag.id}"
    return None


def _check_decision(state: InMemoryState, e: ev.RiskDecisionRecorded, org: str) -> str | None:
    if not _operator(state, org):
        return f"{org} recorded risk decision {e.decision_id}; only the operator may"
    if e.decision_id in state.risk_decisions:
        return f"risk decision id {e.decision_id} reused"
    model = state.risk_model(e.model_id)
    if model is None:
        return f"decision {e.decision_id} cites unregistered model {e.model_id}"
    if e.model_sha256 != model.content_sha256:
        return f"decision {e.decision_id} cites {model.id} with another content hash"
    if e.features_sha256 != features_sha256(e.features):
        return f"decision {e.decision_id}: the feature vector does not hash to its record"
    try:
        features = decode_canonical(e.features.encode())
        output = decode_canonical(e.output.encode())
    except (TrustError, ValueError):
        return f"decision {e.decision_id}: features or output not canonical JSON"
    if not isinstance(features, dict) or sorted(features) != sorted(model.feature_names):
        return f"decision {e.decision_id}: features are not {model.id}'s"
    if e.kind not in DECISION_KINDS or not isinstance(output, dict):
        return f"decision {e.decision_id}: unknown kind {e.kind} or output not an object"
    problem = output_problem(e.kind, output)
    return None if problem is None else f"decision {e.decision_id}: {problem}"


def canonical_text(value: dict[str, Any]) -> str:
    """A JSON object as the canonical text a decision records."""
    return canonical_bytes(value).decode()
