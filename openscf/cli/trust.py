"""`openscf audit`, `openscf export`, `openscf witness`, `openscf checkpoint`: the
verifiable-log commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.text import Text

from openscf.app.audit import LogSource, db_source, export_source
from openscf.app.audit import audit as run_audit
from openscf.app.export import export_log
from openscf.app.queries import Ledger
from openscf.app.witness import ForkDetected, run_witness
from openscf.cli.common import (
    EXIT_FOUND_BAD,
    DbOption,
    JsonOption,
    fail,
    open_database,
    plain_console,
)
from openscf.domain.errors import OpenSCFError

console = plain_console()
err = plain_console(stderr=True)


def audit(
    db: DbOption = None,
    export_dir: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Audit an export directory (openscf export) instead of a database.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Verify the whole log independently: leaf hashes and roots against every signed
    checkpoint, witness cosignatures, every event's signature by the key in force, events
    re-derived from their signed requests, all invariants on replay, and the stored state.

    Exit 0 when everything holds; 1 naming the first offending event otherwise.
    """
    names: dict[str, str] = {}
    if export_dir is not None:
        source = _export_source(export_dir, as_json)
    else:
        engine = open_database(db, as_json=as_json)
        source = db_source(engine)
        # organisations by name in the custody lines
        names = {o.id: o.name for o in Ledger(engine).organisations()}
    with console.status("auditing the log", spinner="dots") if not as_json else _null():
        report = run_audit(source)
    summary = report.to_dict()
    if as_json:
        print(json.dumps(summary, indent=2))
    elif report.ok:
        console.print(
            Text("audit OK", style="bold green"),
            f": {report.events} events, {report.checkpoints} signed "
            f"checkpoints, {report.cosignatures} cosignatures, {report.signatures_checked} "
            f"request signatures, {report.receivables} receivables match the replay "
            f"({summary['events_per_second']} events/s)",
        )
        _print_custody(report.signed_by, names)
    else:
        console.print(
            Text("audit FAILED", style="bold red"),
            f": {len(report.findings)} findings; first: {report.findings[0]}",
            sep="",
        )
        for finding in report.findings[1:10]:
            console.print(f"  {finding}")
    if not report.ok:
        raise typer.Exit(EXIT_FOUND_BAD)


def _export_source(directory: Path, as_json: bool) -> LogSource:
    """The export in DIRECTORY, or one line: not an export (2), or an unreadable one (1)."""
    missing = [name for name in ("log.json", "events.jsonl") if not (directory / name).is_file()]
    if missing:
        fail(
            "not_an_export",
            f"{directory} is not an openscf export (no "
            f"{' or '.join(missing)}); give the folder `openscf export --out DIR` wrote",
            as_json,
        )
    try:
        return export_source(directory)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fail(
            "unreadable_export",
            f"the export in {directory} cannot be read: {type(exc).__name__}: {exc}",
            as_json,
            exit_code=EXIT_FOUND_BAD,
        )


def _print_custody(signed_by: dict[str, dict[str, int]], names: dict[str, str]) -> None:
    """Who signed each organisation's events: the server (custodial) or the organisation."""
    custodial = sum(c["custodial"] for c in signed_by.values())
    own = sum(c["own_key"] for c in signed_by.values())
    console.print(
        f"signatures: {custodial} by custodial keys the server holds, {own} by "
        f"keys organisations hold themselves, across {len(signed_by)} organisations"
    )
    for org_id, counts in sorted(signed_by.items())[:20]:
        who = f"{names[org_id]} ({org_id})" if org_id in names else org_id
        console.print(f"  {who}: {counts['custodial']} custodial, {counts['own_key']} own key")
    if len(signed_by) > 20:
        console.print(f"  ... and {len(signed_by) - 20} more (--json lists them all)")


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def export(
    out: Annotated[Path, typer.Option("--out", help="A new, empty directory to write into.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export the log for an outside auditor: events (exact stored bytes), signed
    checkpoints, cosignatures, witness keys, and a state snapshot. No secrets.
    Format: docs/export-format.md. Check it with `openscf audit --export DIR`."""
    if out.exists() and not out.is_dir():
        fail("not_a_directory", f"--out {out} is a file; give a new, empty directory", as_json)
    engine = open_database(db, as_json=as_json)
    try:
        with Progress(console=err, transient=True, disable=as_json) as progress:
            task = progress.add_task("exporting events", total=None)
            counts = export_log(engine, out, lambda n: progress.advance(task, n))
    except FileExistsError as exc:
        fail("export_exists", str(exc), as_json)
    if as_json:
        print(json.dumps({"out": str(out), **counts}))
    else:
        console.print(
            f"exported {counts['events']} events, {counts['checkpoints']} "
            f"checkpoints, {counts['cosignatures']} cosignatures and "
            f"{counts['receivables']} receivables to {out}"
        )


def witness(
    name: Annotated[str, typer.Option(help="This witness's name (a key name: no spaces).")],
    org: Annotated[str, typer.Option(help="The funder or auditor organisation running it.")],
    state: Annotated[
        Path,
        typer.Option(help="This witness's own state file (its key and the last head it cosigned)."),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the log's latest checkpoint against the last one this witness saw
    (consistency proof) and cosign it. Refuses, exit 2, if the log forked."""
    engine = open_database(db, as_json=as_json)
    try:
        result = run_witness(engine, state, name, org, datetime.now(UTC))
    except ForkDetected as exc:
        if as_json:
            print(json.dumps({"cosigned": False, "code": exc.code, "message": exc.message}))
        else:
            err.print(
                Text.assemble(("FORK DETECTED", "bold red"), f": {exc.message}"), soft_wrap=True
            )
        raise typer.Exit(2) from None
    except OpenSCFError as exc:
        fail(exc.code, exc.message, as_json)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(
            "unreadable_witness_state",
            f"--state {state} is not a witness state file "
            f"({exc}); give this witness's own state file, or a new path to start one",
            as_json,
        )
    if as_json:
        print(
            json.dumps(
                {
                    "cosigned": result.cosigned,
                    "size": result.size,
                    "previous_size": result.previous_size,
                    "witness": result.name,
                }
            )
        )
    else:
        console.print(f"witness {result.name}: {result.message}")


def checkpoint(db: DbOption = None) -> None:
    """Sign a checkpoint for the log as it stands (when the service does not sign one
    with every commit)."""
    from openscf.app import NetworkService

    size = NetworkService(open_database(db)).sign_checkpoint()
    console.print(f"signed checkpoint at size {size}")


def checkpoints(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Show the newest N checkpoints.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """List the newest signed checkpoints and which witnesses cosigned each."""
    from openscf.app import trustlog

    engine = open_database(db, as_json=as_json)
    identity, rows = Ledger(engine).checkpoints(limit)
    data = [
        {"size": s, "root": trustlog.b64(r), "signed_at": at, "witnesses": witnesses}
        for s, r, at, witnesses in rows
    ]
    if as_json:
        print(
            json.dumps(
                {"origin": identity.origin, "vkey": identity.vkey, "checkpoints": data}, indent=2
            )
        )
        return
    console.print(f"log {identity.origin}  (verifier key {identity.vkey})")
    for item in data:
        witnessed = ", ".join(item["witnesses"]) or "no witness yet"
        console.print(
            f"  size {item['size']:>8}  root {item['root']}  {item['signed_at']}  [{witnessed}]",
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.command()(checkpoints)
    app.command()(audit)
    app.command()(export)
    app.command()(witness)
    app.command()(checkpoint)
