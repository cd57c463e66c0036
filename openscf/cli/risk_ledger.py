"""`openscf` commands for risk decisions on the log and the fraud review queue, on a local
database, acting as a user:

openscf flags raise (--program P --supplier S --invoice-number N | --receivable R)
              --detector D --evidence TEXT [--evidence-file F] --as USER
openscf flags clear FFL --reason R --as USER     a checker of the operator or the anchor
openscf flags list [--status open|cleared]
openscf models register FILE --kind K --features a,b,c [--sha256 H] --as USER
openscf models list
openscf decisions score --model M --org O --features JSON --as USER
openscf decisions list [--org O]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from openscf.app.queries import Ledger
from openscf.app.risk_ledger import RiskLedger, register_model
from openscf.app.service import NetworkService
from openscf.cli.common import (
    DbOption,
    JsonOption,
    check_choice,
    fail,
    open_database,
    plain_console,
)
from openscf.domain import commands as c
from openscf.domain.errors import OpenSCFError
from openscf.domain.model import FraudFlag, RiskDecision, RiskModel

__all__ = ["register"]

console = plain_console()
flags_app = typer.Typer(
    help="The fraud review queue: a flagged invoice cannot be confirmed, nor a piece of it "
    "financed, until a checker of the operator or of its anchor clears the flag.",
    no_args_is_help=True,
)
models_app = typer.Typer(
    help="Risk models registered on the log (id, kind, content hash, features).",
    no_args_is_help=True,
)
decisions_app = typer.Typer(
    help="Risk decisions recorded on the log, each citing a registered model and its hash.",
    no_args_is_help=True,
)

AsOption = Annotated[str, typer.Option("--as", help="The acting user id (usr_...).")]
FLAG_STATUSES = ("open", "cleared")


def _service(db: str | None, as_json: bool) -> NetworkService:
    return NetworkService(open_database(db, as_json=as_json))


def _handle(db: str | None, user: str, command: c.Command, as_json: bool) -> Any:
    try:
        return _service(db, as_json).handle(user, command)
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)


def _names(db: str | None, as_json: bool) -> dict[str, str]:
    return Ledger(open_database(db, as_json=as_json)).organisation_names()


def _flag(db: str | None, flag_id: str, as_json: bool) -> FraudFlag:
    found = [f for f in RiskLedger(_service(db, as_json)).flags() if f.id == flag_id]
    if not found:
        fail(
            "unknown_fraud_flag",
            f"no fraud flag {flag_id!r}; list them with `openscf flags list`",
            as_json,
        )
    return found[0]


def _flag_line(f: FraudFlag, names: dict[str, str]) -> str:
    cleared = f" ({f.clear_reason})" if f.clear_reason else ""
    return (
        f"fraud flag {f.id} on {names.get(f.supplier_id, f.supplier_id)}'s invoice "
        f"{f.invoice_number} to {names.get(f.anchor_id, f.anchor_id)}: {f.detector_id}, "
        f"{f.evidence}; {f.status}{cleared}"
    )


def _show(kind: str, record: FraudFlag | RiskDecision | RiskModel) -> str:
    return json.dumps({"object": kind, **asdict(record)}, indent=2, default=str)


@flags_app.command("raise")
def flags_raise(
    detector: Annotated[str, typer.Option(help="The detector that raised it, e.g. dup/1.")],
    evidence: Annotated[str, typer.Option(help="A summary of the evidence (1-500 chars).")],
    user: AsOption,
    program: Annotated[str | None, typer.Option(help="The invoice's program (prg_...).")] = None,
    supplier: Annotated[str | None, typer.Option(help="The supplier (org_...).")] = None,
    invoice_number: Annotated[str | None, typer.Option(help="The invoice's number.")] = None,
    receivable: Annotated[
        str | None, typer.Option(help="Or: a piece of the invoice's receivable (rcv_...).")
    ] = None,
    evidence_file: Annotated[
        Path | None, typer.Option(help="The full evidence; its sha256 goes on the log.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The operator's risk service flags an invoice (or the invoice behind a piece)."""
    if evidence_file is not None:
        try:
            digest = hashlib.sha256(evidence_file.read_bytes()).hexdigest()
        except OSError as exc:
            fail("unreadable_file", f"cannot read {evidence_file}: {exc.strerror}", as_json)
    else:
        digest = hashlib.sha256(evidence.encode()).hexdigest()
    out = _handle(
        db,
        user,
        c.RaiseFraudFlag(detector, evidence, digest, program, supplier, invoice_number, receivable),
        as_json,
    )
    f = _flag(db, out.created["flag_id"], as_json)
    print(_show("fraud_flag", f)) if as_json else console.print(_flag_line(f, _names(db, False)))


@flags_app.command("clear")
def flags_clear(
    flag_id: Annotated[str, typer.Argument(help="The flag (ffl_...).")],
    reason: Annotated[str, typer.Option(help="Why it is cleared, in a few words.")],
    user: AsOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """A checker of the operator, or of the anchor the invoice is addressed to, clears a
    flag; never the user who raised it."""
    _flag(db, flag_id, as_json)
    _handle(db, user, c.ClearFraudFlag(flag_id, reason), as_json)
    f = _flag(db, flag_id, as_json)
    print(_show("fraud_flag", f)) if as_json else console.print(_flag_line(f, _names(db, False)))


@flags_app.command("list")
def flags_list(
    db: DbOption = None,
    status: Annotated[
        str | None, typer.Option(help=f"Only flags in this status: {', '.join(FLAG_STATUSES)}.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Fraud flags, oldest first."""
    check_choice("--status", status, FLAG_STATUSES, as_json)
    found = RiskLedger(_service(db, as_json)).flags(status)
    if as_json:
        data = [{"object": "fraud_flag", **asdict(f)} for f in found]
        print(json.dumps({"object": "list", "data": data, "has_more": False}, default=str))
        return
    names = _names(db, as_json)
    for f in found:
        console.print(_flag_line(f, names))
    if not found:
        console.print("no fraud flags")


@models_app.command("register")
def models_register(
    artefact: Annotated[Path, typer.Argument(help="The model artefact file.")],
    kind: Annotated[str, typer.Option(help="The scorer that reads it, e.g. openscf-points/1.")],
    features: Annotated[str, typer.Option(help="The feature names it reads, comma-separated.")],
    user: AsOption,
    sha256: Annotated[
        str | None, typer.Option(help="The hash the artefact must have (refused otherwise).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a model artefact on the log (the operator's admin)."""
    try:
        content = artefact.read_bytes()
    except OSError as exc:
        fail("unreadable_file", f"cannot read {artefact}: {exc.strerror}", as_json)
    service = _service(db, as_json)
    names = tuple(n.strip() for n in features.split(",") if n.strip())
    try:
        out = register_model(
            service, user, kind=kind, feature_names=names, artefact=content, content_sha256=sha256
        )
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)
    model = RiskLedger(service).model(out.created["model_id"])
    if as_json:
        print(_show("risk_model", model))
        return
    console.print(f"risk model {model.id} ({model.kind}), sha256 {model.content_sha256}")


@models_app.command("list")
def models_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Registered risk models."""
    found = RiskLedger(_service(db, as_json)).models()
    if as_json:
        data = [{"object": "risk_model", **asdict(m)} for m in found]
        print(json.dumps({"object": "list", "data": data, "has_more": False}, default=str))
        return
    for m in found:
        console.print(
            f"{m.id} ({m.kind}) sha256 {m.content_sha256}, features {', '.join(m.feature_names)}"
        )
    if not found:
        console.print("no risk models")


@decisions_app.command("score")
def decisions_score(
    model: Annotated[str, typer.Option(help="The registered model (rmd_...).")],
    org: Annotated[str, typer.Option(help="The organisation scored (org_...).")],
    features: Annotated[str, typer.Option(help='The features, a JSON object: {"a": 1}.')],
    user: AsOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score an organisation with a registered model and record the decision."""
    try:
        values = json.loads(features)
    except ValueError:
        fail("invalid_features", "--features is a JSON object, e.g. '{\"a\": 1}'", as_json)
    if not isinstance(values, dict):
        fail("invalid_features", "--features is a JSON object, e.g. '{\"a\": 1}'", as_json)
    try:
        out, output = RiskLedger(_service(db, as_json)).decide(
            user,
            model_id=model,
            kind="score",
            subject_kind="organisation",
            org_id=org,
            features=values,
        )
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)
    if as_json:
        print(json.dumps({"decision_id": out.created["decision_id"], "output": output}))
        return
    console.print(
        f"decision {out.created['decision_id']}: PD {output.get('pd_bps')} bps, "
        f"grade {output.get('grade')}"
    )
    for reason in output.get("reasons", ()):
        console.print(f"  {reason}")


@decisions_app.command("list")
def decisions_list(
    db: DbOption = None,
    org: Annotated[str | None, typer.Option(help="Only decisions about this org.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Recorded risk decisions, oldest first."""
    found = RiskLedger(_service(db, as_json)).decisions(org)
    if as_json:
        data = [{"object": "risk_decision", **asdict(d)} for d in found]
        print(json.dumps({"object": "list", "data": data, "has_more": False}, default=str))
        return
    for d in found:
        console.print(f"{d.id} {d.kind} of {d.org_id} by {d.model_id}: {d.output}")
    if not found:
        console.print("no risk decisions")


def register(app: typer.Typer) -> None:
    app.add_typer(flags_app, name="flags")
    app.add_typer(models_app, name="models")
    app.add_typer(decisions_app, name="decisions")
