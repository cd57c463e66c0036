"""`openscf` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from openscf.app.queries import Ledger
from openscf.cli.client import register as register_client
from openscf.cli.common import (
    DbOption,
    JsonOption,
    OpenSCFGroup,
    check_choice,
    connect_database,
    fail,
    open_database,
    plain_console,
    show_url,
)
from openscf.cli.credentials import register as register_credentials
from openscf.cli.documents import register as register_documents
from openscf.cli.recovery import register as register_recovery
from openscf.cli.risk import register as register_risk
from openscf.cli.serve import register as register_serve
from openscf.cli.simulate import simulate
from openscf.cli.trouble import register as register_trouble
from openscf.cli.trust import register as register_trust
from openscf.domain.money import format_amount, parse_document_amount
from openscf.store import database_url, is_initialised, migrate

app = typer.Typer(
    name="openscf",
    help="openscf: an open supply-chain finance network. Confirmed payables become "
    "receivables that suppliers split, pass down their chain, or sell for cash today.",
    no_args_is_help=True,
    add_completion=False,
    cls=OpenSCFGroup,
)
receivables_app = typer.Typer(
    help="Inspect receivables in any openscf database.", no_args_is_help=True
)
app.add_typer(receivables_app, name="receivables")
register_serve(app)
app.command("simulate")(simulate)
register_trust(app)
register_client(app)
register_documents(app)
register_credentials(app)
register_trouble(app, receivables_app)
register_recovery(app)
register_risk(app)

console = plain_console()


@app.command()
def demo(
    db: DbOption = None,
    as_json: JsonOption = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help="Then serve it (API and dashboard) and print the demo logins."
        ),
    ] = False,
) -> None:
    """Build a fresh demo network and run every operation through it.

    A small simulated economy (36 firms: anchors, funders and suppliers in three tiers):
    confirmations with maker-checker, splits and transfers down the chain, financing with
    competing offers, early payment, cancellation, settlement, overdue and default, and
    wrong moves the network refuses. Then a trade leg: invoices arrive as UBL documents,
    three-way matched against orders and despatch advices, and settlements leave as
    pain.001 files reconciled from the bank's camt.053 (files under DB.files/). The
    history ends some weeks before today; the last chapter leaves one program as it is on
    today's date, with work waiting for each printed login (payables due, pieces down the
    chain, open financing requests, an early-payment offer, approvals, an overdue piece).
    Ends with the invariant replay. Replaces an existing demo database; refuses any other.
    """
    import shutil

    from openscf.sim.demo import OPERATOR_NAME, run_demo

    url = database_url(db)
    files_dir = Path("openscf-demo.files")
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        files_dir = path.parent / (path.name + ".files")
        if path.exists():
            engine = connect_database(db, as_json=as_json)
            is_demo = False
            if is_initialised(engine):
                orgs = Ledger(engine).organisations()
                is_demo = any(o.name == OPERATOR_NAME for o in orgs) or not orgs
            engine.dispose()
            if not is_demo:
                fail(
                    "database_exists",
                    f"{path} exists and is not a demo database; choose another --db",
                    as_json,
                )
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            if (files_dir / "payments").is_dir():  # the previous demo's files
                shutil.rmtree(files_dir)
    engine = connect_database(db, create=True, as_json=as_json)
    migrate(engine)
    if Ledger(engine).log_size() != 0:
        fail(
            "database_not_empty",
            f"{show_url(url)} already holds a network; the demo needs an empty database",
            as_json,
        )
    if as_json:
        result = run_demo(engine, files_dir=files_dir)
        print(json.dumps(result.to_dict(), indent=2))
    else:
        with console.status("building the demo network") as status:
            result = run_demo(engine, lambda step: status.update(step), files_dir=files_dir)
        _print_demo(result.to_dict(), url)
    if not result.invariants_ok:
        raise typer.Exit(2)
    if serve:
        from openscf.cli.serve import serve_demo

        serve_demo(engine, result.today.get("logins"))


def _print_demo(summary: dict[str, Any], url: str) -> None:
    def eur(text: str) -> str:  # the summary carries plain decimals of the demo's EUR
        return format_amount(parse_document_amount(text, "EUR"), "EUR")

    console.rule(Text("openscf demo", style="bold"))
    console.print(f"database: {show_url(url)}")
    console.print(f"{summary['organisations']} organisations, {summary['events']} events logged")
    ops = Table(title="Operations", show_header=True)
    ops.add_column("operation")
    ops.add_column("count", justify="right")
    for name, count in summary["operations"].items():
        ops.add_row(name, str(count))
    console.print(ops)
    holders = Table(title="Receivables by holder")
    for col in ("holder", "pieces", "face held", "outstanding"):
        holders.add_column(col, justify="left" if col == "holder" else "right")
    for row in summary["receivables_by_holder"]:
        holders.add_row(
            row["holder"], str(row["pieces"]), eur(row["face_held"]), eur(row["outstanding"])
        )
    console.print(holders)
    fin = Table(title="Financings (best offer accepted)")
    for col in ("holder", "funder", "face", "rate", "days", "discount", "fees", "proceeds"):
        fin.add_column(col, justify="left" if col in ("holder", "funder") else "right")
    for f in summary["financings"]:
        fin.add_row(
            f["holder"],
            f["funder"],
            eur(f["face"]),
            f["annual_rate"],
            str(f["days"]),
            eur(f["discount"]),
            eur(f["fees"]),
            eur(f["proceeds"]),
        )
    console.print(fin)
    for e in summary["early_payments"]:
        console.print(
            f"early payment: {e['supplier']} paid {eur(e['paid'])} {e['days']} days "
            f"early at {e['annual_rate']} (discount {eur(e['discount'])})"
        )
    total = sum(parse_document_amount(s["amount"], "EUR") for s in summary["settlements"])
    console.print(
        f"settlements at maturity: {len(summary['settlements'])} pieces, "
        f"{format_amount(total, 'EUR')} paid to their holders"
    )
    rej = Table(title="Refused, as they should be")
    rej.add_column("attempt")
    rej.add_column("code")
    for r in summary["rejected"]:
        rej.add_row(r["attempt"], r["code"])
    console.print(rej)
    trade = summary.get("trade") or {}
    if trade:
        docs = ", ".join(f"{n} {kind}" for kind, n in trade["documents"].items())
        console.print(
            f"trade documents in: {docs}; {len(trade['confirmed'])} invoices "
            f"confirmed after the three-way match, {len(trade['overrides'])} by a "
            "checker's override"
        )
        for refusal in trade["refused"]:
            console.print(f"  refused: {refusal.get('attempt', '')} ({refusal.get('code')})")
        console.print(
            f"payments out: {trade['instructions']} instructions in "
            f"{len(trade['payment_files'])} pain.001 files; reconciled from "
            f"camt.053: {trade['reconciled']} (final settlements: "
            f"{len(trade['final_settlements'])})"
        )
    _print_today(summary.get("today") or {})
    if summary["invariants_ok"]:
        console.print(
            Text.assemble(
                ("invariant replay: OK", "bold green"),
                " — the state rebuilt from the events alone equals the "
                "stored state, and every invariant holds",
            )
        )
    else:
        console.print(Text("invariant replay FAILED", style="bold red"))
        for v in summary["violations"]:
            console.print(f"  {v}")


def _print_today(today: dict[str, Any]) -> None:
    """What the demo leaves to do on `today`, in the program of the printed logins."""
    if not today:
        return
    console.rule(Text(f"today, {today['today']}: {today['program']}", style="bold"))
    names = {who["org_id"]: who["organisation"] for who in today["logins"].values()}
    total = sum(p["amount_minor"] for p in today["payables"])
    # Invoices, not pieces: some are passed down the chain in pieces below; the anchor's
    # dashboard counts those pieces and the overdue one as well.
    console.print(
        f"payables outstanding: {len(today['payables'])} invoices confirmed, "
        f"{format_amount(total, 'EUR')}, due "
        f"{min(p['due_on'] for p in today['payables'])} to "
        f"{max(p['due_on'] for p in today['payables'])}, and the overdue piece "
        f"below"
    )
    for move in today["transfers"]:
        console.print(
            f"down the chain: {names.get(move['from'], move['from'])} passed "
            f"{format_amount(move['amount_minor'], 'EUR')} to "
            f"{names.get(move['to'], move['to'])} (tier {move['tier']})"
        )
    for request in today["open_requests"]:
        console.print(
            f"open financing request {request['request_id']} of "
            f"{names.get(request['holder_id'], request['holder_id'])}: "
            f"{len(request['offers'])} offers"
        )
    early, pending = today["early_payment_offer"], today["pending_confirmation"]
    console.print(f"early-payment offer {early['offer_id']} open until {early['value_date']}")
    console.print(
        f"waiting for the anchor's checker: confirmation {pending['approval_id']} "
        f"({format_amount(pending['amount_minor'], 'EUR')}) and the override "
        f"of invoice {today['mismatched_invoice']['invoice_number']} "
        f"({', '.join(today['mismatched_invoice']['match_issues'])})"
    )
    overdue = today["overdue"]
    console.print(
        f"overdue since {overdue['due_on']}: {overdue['receivable_id']} "
        f"({format_amount(overdue['amount_minor'], 'EUR')})"
    )


RECEIVABLE_STATUSES = (
    "live",
    "split",
    "transferred",
    "settled",
    "paid_early",
    "cancelled",
    "overdue",
    "defaulted",
    "written_off",
    "put_back",
    "recourse_due",
)


@receivables_app.command("list")
def receivables_list(
    db: DbOption = None,
    holder: Annotated[
        str | None,
        typer.Option(
            help="Only pieces held by this organisation: its id (org_...) or its name (or a "
            "part of it that names one organisation)."
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help=f"Only pieces in this status: {', '.join(RECEIVABLE_STATUSES)}."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List receivable pieces, oldest first (in the order the log created them)."""
    check_choice("--status", status, RECEIVABLE_STATUSES, as_json)
    engine = open_database(db, as_json=as_json)
    ledger = Ledger(engine)
    names = {o.id: o.name for o in ledger.organisations()}
    holder_id = None if holder is None else _organisation_id(holder, names, as_json)
    pieces = ledger.receivables(holder_id=holder_id, status=status, limit=limit)
    if as_json:
        print(
            json.dumps(
                {
                    "object": "list",
                    "data": [_piece_json(p) for p in pieces],
                    "has_more": len(pieces) == limit,
                },
                indent=2,
            )
        )
        return
    table = Table(title=f"{len(pieces)} receivable pieces", box=box.SIMPLE_HEAD)
    # An id is copied whole: never cut or folded; the other columns wrap instead.
    table.add_column(
        "id", no_wrap=True, overflow="ignore", min_width=max((len(p.id) for p in pieces), default=2)
    )
    table.add_column("holder", overflow="fold")
    table.add_column("face", justify="right", overflow="fold")
    table.add_column("due", min_width=10, overflow="fold")
    table.add_column("status", min_width=11, overflow="fold")
    for p in pieces:
        table.add_row(
            p.id,
            names.get(p.holder_id, p.holder_id),
            format_amount(p.face_minor, p.currency),
            p.due_on.isoformat(),
            p.status,
        )
    console.print(table)


def _organisation_id(given: str, names: dict[str, str], as_json: bool) -> str:
    """An organisation id from an id or a name: exact name first, then a unique part of one."""
    if given in names:
        return given
    exact = [oid for oid, name in names.items() if name.casefold() == given.casefold()]
    found = exact or [oid for oid, name in names.items() if given.casefold() in name.casefold()]
    if len(found) == 1:
        return found[0]
    if not found:
        fail(
            "unknown_organisation",
            f"--holder {given!r} is neither an organisation id nor "
            "a name on this network; `openscf receivables list --json` shows holder ids",
            as_json,
        )
    matches = "; ".join(f"{names[oid]} ({oid})" for oid in found[:5])
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    fail(
        "ambiguous_organisation",
        f"--holder {given!r} names {len(found)} organisations: "
        f"{matches}{more}; give the id or the full name",
        as_json,
    )


def _piece_json(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "object": "receivable",
        "program_id": p.program_id,
        "obligor_id": p.obligor_id,
        "supplier_id": p.supplier_id,
        "holder_id": p.holder_id,
        "face_minor": p.face_minor,
        "currency": p.currency,
        "due_on": p.due_on.isoformat(),
        "status": p.status,
        "parent_id": p.parent_id,
        "root_id": p.root_id,
        "invoice_id": p.invoice_id,
    }


@receivables_app.command("show")
def receivables_show(
    receivable_id: Annotated[str, typer.Argument(help="The receivable id (rcv_...).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one piece and its chain of custody, from the anchor's confirmation to its holder."""
    engine = open_database(db)
    ledger = Ledger(engine)
    piece = ledger.receivable(receivable_id)
    if piece is None:
        fail("unknown_receivable", f"no receivable {receivable_id!r}")
    names = {o.id: o.name for o in ledger.organisations()}
    chain = ledger.chain_of_custody(receivable_id)
    steps = [_step(s, names, piece.currency) for s in chain]
    if as_json:
        print(json.dumps({**_piece_json(piece), "chain_of_custody": steps}, indent=2))
        return
    console.print(
        f"{piece.id}  {format_amount(piece.face_minor, piece.currency)}, "
        f"due {piece.due_on}, {piece.status}"
    )
    console.print(
        f"obligor {names.get(piece.obligor_id)}  ·  holder "
        f"{names.get(piece.holder_id)}  ·  invoice {piece.invoice_id}"
    )
    table = Table(title="Chain of custody")
    for col in ("seq", "when", "event", "by", "what"):
        table.add_column(col, overflow="fold")  # ids wrap, never cut short
    for s in steps:
        table.add_row(str(s["seq"]), s["at"], s["type"], s["by"], s["what"])
    console.print(table)


def _step(step: dict[str, Any], names: dict[str, str], currency: str) -> dict[str, Any]:
    """One event of a piece's chain of custody, in words (amounts in the piece's currency)."""
    e = step["event"]

    def n(org_id: str) -> str:
        return names.get(org_id, org_id)

    def money(amount_minor: int) -> str:
        return format_amount(amount_minor, currency)

    kind = e.TYPE
    if kind == "ReceivableIssued":
        what = f"confirmed {e.invoice_number}, {money(e.face_minor)} to {n(e.supplier_id)}"
    elif kind == "ReceivableSplit":
        what = f"{e.parent_id} split into " + ", ".join(
            f"{pid} ({money(f)})" for pid, f in zip(e.piece_ids, e.faces_minor, strict=True)
        )
    elif kind == "ReceivableTransferred":
        what = (
            f"{e.receivable_id} -> {e.new_receivable_id}: {n(e.from_org_id)} to "
            f"{n(e.to_org_id)} ({e.reason})"
        )
    elif kind == "FinancingOffered":
        what = (
            f"{n(e.funder_id)} offers {e.annual_rate} for {e.days} days: proceeds "
            f"{money(e.proceeds_minor)}"
        )
    elif kind == "FinancingOfferAccepted":
        what = f"sold to {n(e.funder_id)} for {money(e.proceeds_minor)}"
    elif kind == "ReceivableSettled":
        what = f"paid {money(e.amount_minor)} to {n(e.payee_id)}"
    elif kind == "ReceivablePaidEarly":
        what = f"paid {money(e.amount_minor)} early to {n(e.payee_id)}"
    elif kind == "ReceivablePutBack":
        what = (
            f"{n(e.funder_id)} put {e.receivable_id} back to {n(e.seller_id)}, who owes "
            f"{money(e.owed_minor)} by {e.due_on} ({e.recourse_id})"
        )
    elif kind == "CreditNoteRecorded":
        what = (
            f"credit note {e.credit_note_number}: {money(e.amount_minor)} held against "
            f"{n(e.supplier_id)} ({e.credit_id})"
        )
    elif kind == "CreditNetted":
        what = f"{money(e.amount_minor)} of credit {e.credit_id} netted off the face"
    else:
        what = kind
    return {
        "seq": step["seq"],
        "at": step["occurred_at"].isoformat(),
        "type": kind,
        "by": n(step["org_id"]),
        "what": what,
    }


def main() -> None:
    """The `openscf` entry point: every error is one line (see `OpenSCFGroup`)."""
    app()
