"""When trade goes wrong, on the command line.

    openscf pay RECEIVABLE AMOUNT --as USER           the obligor pays (part of) a piece
    openscf defaults declare ORG --reason R --as USER  an operator maker asks for a default
    openscf defaults approve APPROVAL --as USER        a second operator user approves it
    openscf defaults recover CLAIM AMOUNT --currency C --source S --as USER
    openscf defaults close CLAIM --as USER             write off the rest: the loss
    openscf defaults list | show CLAIM                 claims, recoveries and losses

Amounts are typed in major units of the piece's currency ("300.00") and shown with
`format_amount`; every refusal is one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from openscf.app.queries import Ledger, ReadModel
from openscf.app.recovery import ClaimReads, ClaimView
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
from openscf.domain.money import format_amount, parse_amount
from openscf.domain.recovery import DEFAULT_REASONS

__all__ = ["register"]

console = plain_console()
T = TypeVar("T")

AsOption = Annotated[str, typer.Option("--as", help="The acting user id (usr_...).")]
defaults_app = typer.Typer(
    help="Obligor defaults: declare (maker-checker, operator), recover, close with the loss.",
    no_args_is_help=True,
)


@dataclass(frozen=True)
class _Everything:
    """The command line reads the database it was given: everything, like an auditor."""

    org_id: str = "cli"
    roles: tuple[str, ...] = ("auditor",)


def _run(as_json: bool, action: Callable[[], T]) -> T:
    try:
        return action()
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)


def _handle(db: str | None, user: str, command: c.Command, as_json: bool) -> dict[str, Any]:
    svc = NetworkService(open_database(db, as_json=as_json))
    outcome = _run(as_json, lambda: svc.handle(user, command))
    return {
        "command": outcome.command,
        "created": outcome.created,
        "events": [e["type"] for e in outcome.events],
    }


def _say(as_json: bool, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, indent=2)) if as_json else console.print(text)


def pay(
    receivable: Annotated[str, typer.Argument(help="The piece (rcv_...).")],
    amount: Annotated[str, typer.Argument(help="How much, in the piece's currency, e.g. 300.00.")],
    user: AsOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The obligor pays (part of) a piece from its maturity on; the rest stays owed. The
    payment that completes it settles it."""
    ledger = Ledger(open_database(db, as_json=as_json))
    piece = ledger.receivable(receivable)
    if piece is None:
        fail("unknown_receivable", f"no receivable {receivable!r}", as_json)
    amount_minor = _run(as_json, lambda: parse_amount(amount, piece.currency))
    out = _handle(db, user, c.RecordPayment(receivable, amount_minor), as_json)
    after = ledger.receivable(receivable)
    assert after is not None
    out["receivable"] = {
        "status": after.status,
        "paid_minor": after.paid_minor,
        "outstanding_minor": after.outstanding_minor,
    }
    _say(
        as_json,
        out,
        f"{receivable}: paid {format_amount(amount_minor, piece.currency)}; "
        f"{format_amount(after.paid_minor, piece.currency)} paid in all, "
        f"{format_amount(after.outstanding_minor, piece.currency)} outstanding ({after.status})",
    )


@defaults_app.command("declare")
def declare(
    obligor: Annotated[str, typer.Argument(help="The obligor (org_...).")],
    user: AsOption,
    reason: Annotated[
        str,
        typer.Option(
            help="insolvency, or past_due (a piece it owes "
            "is past its program's default_after_days)"
        ),
    ] = "insolvency",
    note: Annotated[str, typer.Option(help="What happened (court, filing ...).")] = "",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """An operator maker asks that an obligor be declared in default; a second operator
    user approves it (`openscf defaults approve`)."""
    check_choice("--reason", reason, DEFAULT_REASONS, as_json)
    out = _handle(db, user, c.RequestObligorDefault(obligor, reason, note), as_json)
    created = out["created"]
    _say(
        as_json,
        out,
        f"default of {obligor} requested: approval {created['approval_id']}, "
        f"claim {created['claim_id']} (a second operator user approves it)",
    )


@defaults_app.command("approve")
def approve(
    approval: Annotated[str, typer.Argument(help="The request (apr_...).")],
    user: AsOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """A second operator user approves a default: every piece the obligor owes joins its
    claim."""
    out = _handle(db, user, c.ApproveObligorDefault(approval), as_json)
    _say(as_json, out, f"default approved ({approval})")


@defaults_app.command("recover")
def recover(
    claim: Annotated[str, typer.Argument(help="The claim (dfl_...).")],
    amount: Annotated[str, typer.Argument(help="How much, e.g. 15000.00.")],
    user: AsOption,
    currency: Annotated[str, typer.Option(help="ISO 4217 code.")] = "EUR",
    source: Annotated[
        str, typer.Option(help="Who paid: the administrator, an insurer, a guarantor.")
    ] = "administrator",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record money recovered on a claim; it is shared pro rata among the holders (largest
    remainder, ties to the lower piece id)."""
    amount_minor = _run(as_json, lambda: parse_amount(amount, currency))
    out = _handle(db, user, c.RecordRecovery(claim, amount_minor, currency, source), as_json)
    _say(as_json, out, f"{claim}: recovered {format_amount(amount_minor, currency)} from {source}")


@defaults_app.command("close")
def close(
    claim: Annotated[str, typer.Argument(help="The claim (dfl_...).")],
    user: AsOption,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close a claim: it takes no more money; what each piece lacks is its loss."""
    out = _handle(db, user, c.CloseDefaultClaim(claim), as_json)
    view = ClaimReads(ReadModel(open_database(db, as_json=as_json))).claim(_Everything(), claim)
    out["claim"] = view.to_dict()
    _say(as_json, out, f"{claim} closed; " + _losses(view))


def _losses(view: ClaimView) -> str:
    return (
        "; ".join(
            f"loss {format_amount(t['loss_minor'], t['currency'])} of "
            f"{format_amount(t['exposure_minor'], t['currency'])}"
            for t in view.to_dict()["totals"]
        )
        or "nothing was owed"
    )


@defaults_app.command("list")
def list_claims(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every default claim: what was owed, recovered, still outstanding, lost."""
    views = ClaimReads(ReadModel(open_database(db, as_json=as_json))).claims(_Everything())
    if as_json:
        print(
            json.dumps(
                {"object": "list", "data": [v.to_dict() for v in views], "has_more": False},
                indent=2,
            )
        )
        return
    table = Table(title=f"{len(views)} default claims")
    for col in (
        "claim",
        "obligor",
        "status",
        "owed at default",
        "recovered",
        "outstanding",
        "loss",
    ):
        table.add_column(col, overflow="fold")
    for v in views:
        for tot in v.to_dict()["totals"]:
            ccy = tot["currency"]
            table.add_row(
                v.claim.id,
                v.claim.obligor_id,
                v.claim.status,
                format_amount(tot["exposure_minor"], ccy),
                format_amount(tot["recovered_minor"], ccy),
                format_amount(tot["outstanding_minor"], ccy),
                format_amount(tot["loss_minor"], ccy) if v.claim.status == "closed" else "",
            )
    console.print(table)


@defaults_app.command("show")
def show(
    claim: Annotated[str, typer.Argument(help="The claim (dfl_...).")], db: DbOption = None
) -> None:
    """One claim as JSON: its pieces, recoveries with their shares, losses per program."""
    reads = ClaimReads(ReadModel(open_database(db)))
    print(json.dumps(_run(False, lambda: reads.claim(_Everything(), claim)).to_dict(), indent=2))


def register(app: typer.Typer) -> None:
    app.command("pay")(pay)
    app.add_typer(defaults_app, name="defaults")
