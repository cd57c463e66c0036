"""`openscf` commands for when trade goes wrong, on a local database, acting as a user:

openscf receivables put-back RCV --as USER        the funder puts a defaulted piece back
openscf receivables pay-recourse RCV --as USER    the seller pays its recourse obligation
openscf credits note INVOICE NUMBER AMOUNT --as USER
openscf credits list [--supplier ORG] [--status open|netted]
openscf disputes raise --program P --supplier S --invoice-number N --amount A --reason R
openscf disputes resolve DSP --outcome agreed|withdrawn [--amount A] --as USER
openscf disputes list [--status open|agreed|withdrawn]
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from openscf.app.dilution_reads import DilutionLedger
from openscf.app.queries import Ledger
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
from openscf.domain.model import Credit, Dispute
from openscf.domain.money import format_amount, parse_amount

__all__ = ["register"]

console = plain_console()
credits_app = typer.Typer(
    help="Credits an anchor holds against its suppliers after dilution "
    "(credit notes, agreed disputes), netted against the supplier's "
    "next confirmations.",
    no_args_is_help=True,
)
disputes_app = typer.Typer(
    help="Disputes on suppliers' invoices: a disputed invoice cannot "
    "be confirmed until the dispute is resolved.",
    no_args_is_help=True,
)

AsOption = Annotated[str, typer.Option("--as", help="The acting user id (usr_...).")]
CREDIT_STATUSES = ("open", "netted")
DISPUTE_STATUSES = ("open", "agreed", "withdrawn")


def _handle(db: str | None, user: str, command: c.Command, as_json: bool) -> Any:
    service = NetworkService(open_database(db, as_json=as_json))
    try:
        return service.handle(user, command)
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)


def _names(db: str | None, as_json: bool) -> dict[str, str]:
    return Ledger(open_database(db, as_json=as_json)).organisation_names()


def _dilution(db: str | None, as_json: bool) -> DilutionLedger:
    return DilutionLedger(open_database(db, as_json=as_json))


def _currency(db: str | None, what: str, record_id: str, as_json: bool) -> str:
    found = _dilution(db, as_json).currency_of(what, record_id)
    if found is None:
        fail(f"unknown_{what}", f"no {what} {record_id!r} in this database; check the id", as_json)
    return found


def _amount(text: str, currency: str, as_json: bool) -> int:
    try:
        return parse_amount(text, currency)
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)


# --- recourse --------------------------------------------------------------------------------


def put_back(
    receivable_id: Annotated[
        str, typer.Argument(help="The defaulted piece (rcv_...) the funder holds.")
    ],
    user: AsOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The funder puts a defaulted piece back to the seller (programs with recourse only):
    the seller holds the claim on the anchor again and owes the funder what the funder still
    lacked on it (its face less what was paid and recovered)."""
    out = _handle(db, user, c.PutBackReceivable(receivable_id), as_json)
    owed = Ledger(open_database(db, as_json=as_json)).receivable(out.created["recourse_id"])
    assert owed is not None
    names = _names(db, as_json)
    data = {
        "object": "put_back",
        "id": receivable_id,
        "returned_receivable_id": out.created["returned_receivable_id"],
        "recourse_id": owed.id,
        "seller_id": owed.obligor_id,
        "amount_minor": owed.face_minor,
        "currency": owed.currency,
        "due_on": owed.due_on.isoformat(),
    }
    if as_json:
        print(json.dumps(data, indent=2))
        return
    console.print(
        f"{receivable_id} put back to {names.get(owed.obligor_id, owed.obligor_id)}: "
        f"it owes {format_amount(owed.face_minor, owed.currency)} by {owed.due_on} "
        f"(recourse obligation {owed.id})"
    )


def pay_recourse(
    receivable_id: Annotated[
        str, typer.Argument(help="The recourse obligation (rcv_..., status recourse_due).")
    ],
    user: AsOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The seller pays a recourse obligation it owes a funder (a settlement, reconciled like
    any other)."""
    _handle(db, user, c.PayRecourse(receivable_id), as_json)
    piece = Ledger(open_database(db, as_json=as_json)).receivable(receivable_id)
    assert piece is not None
    if as_json:
        print(
            json.dumps(
                {
                    "object": "receivable",
                    "id": piece.id,
                    "status": piece.status,
                    "amount_minor": piece.face_minor,
                    "currency": piece.currency,
                },
                indent=2,
            )
        )
        return
    console.print(f"{piece.id}: paid {format_amount(piece.face_minor, piece.currency)}")


# --- credits -----------------------------------------------------------------------------------


@credits_app.command("note")
def credit_note(
    invoice_id: Annotated[str, typer.Argument(help="The confirmed invoice (inv_...).")],
    number: Annotated[str, typer.Argument(help="The credit note's number.")],
    amount: Annotated[str, typer.Argument(help="The credit, e.g. 1,250.00.")],
    user: AsOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The anchor records a supplier's credit note on a confirmed invoice: the receivable
    stays whole; the anchor holds a credit netted against the supplier's next confirmations."""
    currency = _currency(db, "invoice", invoice_id, as_json)
    out = _handle(
        db,
        user,
        c.RecordCreditNote(invoice_id, number, _amount(amount, currency, as_json)),
        as_json,
    )
    credit = _credits(db, as_json, id=out.created["credit_id"])[0]
    if as_json:
        print(json.dumps(_credit_json(credit), indent=2))
        return
    console.print(
        f"credit {credit.id}: {format_amount(credit.amount_minor, credit.currency)} "
        f"held against {_names(db, as_json).get(credit.supplier_id)} "
        f"(credit note {credit.reference} on {credit.invoice_id})"
    )


def _credits(db: str | None, as_json: bool, **where: str | None) -> list[Credit]:
    """Credits whose columns equal the values given (None: any)."""
    return _dilution(db, as_json).credits(**where)


def _credit_json(k: Credit) -> dict[str, Any]:
    return {"object": "credit", **asdict(k), "recorded_on": k.recorded_on.isoformat()}


@credits_app.command("list")
def credits_list(
    db: DbOption = None,
    supplier: Annotated[
        str | None, typer.Option(help="Only credits held against this supplier (org_...).")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help=f"Only credits in this status: {', '.join(CREDIT_STATUSES)}.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Credits held against suppliers, oldest first; an open credit is a claim on the
    supplier until netted."""
    check_choice("--status", status, CREDIT_STATUSES, as_json)
    found = _credits(db, as_json, supplier_id=supplier, status=status)
    if as_json:
        print(
            json.dumps(
                {"object": "list", "data": [_credit_json(k) for k in found], "has_more": False},
                indent=2,
            )
        )
        return
    names = _names(db, as_json)
    table = Table(title=f"{len(found)} credits", box=box.SIMPLE_HEAD)
    table.add_column("id", no_wrap=True, overflow="ignore")
    table.add_column("supplier", overflow="fold")
    table.add_column("from", overflow="fold")
    for col in ("amount", "open"):  # an amount is read whole: never folded
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for k in found:
        table.add_row(
            k.id,
            names.get(k.supplier_id, k.supplier_id),
            k.reference,
            format_amount(k.amount_minor, k.currency),
            format_amount(k.open_minor, k.currency),
            k.status,
        )
    console.print(table)


# --- disputes ----------------------------------------------------------------------------------


def _dispute(db: str | None, dispute_id: str, as_json: bool) -> Dispute:
    found = _dilution(db, as_json).dispute(dispute_id)
    if found is None:
        fail(
            "unknown_dispute",
            f"no dispute {dispute_id!r}; list them with `openscf disputes list`",
            as_json,
        )
    return found


def _dispute_line(d: Dispute, names: dict[str, str]) -> str:
    agreed = f", agreed {format_amount(d.agreed_minor, d.currency)}" if d.agreed_minor else ""
    return (
        f"dispute {d.id} on {names.get(d.supplier_id, d.supplier_id)}'s invoice "
        f"{d.invoice_number}: {format_amount(d.amount_minor, d.currency)} ({d.reason}), "
        f"{d.status}{agreed}"
    )


@disputes_app.command("raise")
def disputes_raise(
    program: Annotated[str, typer.Option(help="The program (prg_...).")],
    supplier: Annotated[str, typer.Option(help="The supplier (org_...).")],
    invoice_number: Annotated[str, typer.Option(help="The invoice's number.")],
    amount: Annotated[str, typer.Option(help="The amount disputed, e.g. 300.00.")],
    reason: Annotated[str, typer.Option(help="Why, in a few words.")],
    user: AsOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The anchor disputes an amount of a supplier's invoice; an invoice not yet confirmed
    cannot be confirmed until the dispute is resolved."""
    currency = _currency(db, "program", program, as_json)
    out = _handle(
        db,
        user,
        c.RaiseDispute(
            program, supplier, invoice_number, _amount(amount, currency, as_json), reason
        ),
        as_json,
    )
    d = _dispute(db, out.created["dispute_id"], as_json)
    if as_json:
        print(json.dumps({"object": "dispute", **asdict(d)}, indent=2))
        return
    console.print(_dispute_line(d, _names(db, as_json)))


@disputes_app.command("resolve")
def disputes_resolve(
    dispute_id: Annotated[str, typer.Argument(help="The dispute (dsp_...).")],
    outcome: Annotated[str, typer.Option(help="agreed (the supplier) or withdrawn (the anchor).")],
    user: AsOption,
    amount: Annotated[
        str | None, typer.Option(help="agreed: at most the disputed amount (default all).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Resolve a dispute: the supplier agrees (on a confirmed invoice it becomes a credit),
    or the anchor withdraws it."""
    check_choice("--outcome", outcome, ("agreed", "withdrawn"), as_json)
    d = _dispute(db, dispute_id, as_json)
    amount_minor = None if amount is None else _amount(amount, d.currency, as_json)
    _handle(db, user, c.ResolveDispute(dispute_id, outcome, amount_minor), as_json)
    d = _dispute(db, dispute_id, as_json)
    if as_json:
        print(json.dumps({"object": "dispute", **asdict(d)}, indent=2))
        return
    line = _dispute_line(d, _names(db, as_json))
    console.print(line + (f"; credit {d.credit_id}" if d.credit_id else ""))


@disputes_app.command("list")
def disputes_list(
    db: DbOption = None,
    status: Annotated[
        str | None,
        typer.Option(help=f"Only disputes in this status: {', '.join(DISPUTE_STATUSES)}."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Disputes on suppliers' invoices, oldest first."""
    check_choice("--status", status, DISPUTE_STATUSES, as_json)
    found = _dilution(db, as_json).disputes(status)
    if as_json:
        print(
            json.dumps(
                {
                    "object": "list",
                    "data": [{"object": "dispute", **asdict(d)} for d in found],
                    "has_more": False,
                },
                indent=2,
            )
        )
        return
    names = _names(db, as_json)
    for d in found:
        console.print(_dispute_line(d, names))
    if not found:
        console.print("no disputes")


def register(app: typer.Typer, receivables_app: typer.Typer) -> None:
    receivables_app.command("put-back")(put_back)
    receivables_app.command("pay-recourse")(pay_recourse)
    app.add_typer(credits_app, name="credits")
    app.add_typer(disputes_app, name="disputes")
