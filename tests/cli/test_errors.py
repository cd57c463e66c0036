"""Every command answers a mistake with one line that says what is wrong and what to do:
exit 2 for a mistake, 1 when it checked something and found it bad, never a traceback.

The commands are read from the Typer tree, so a new command is covered (or this test says
how to call it is missing)."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from openscf.app.queries import Ledger
from openscf.cli import app

runner = CliRunner()


def _leaf_commands(group: Any = None, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    group = group if group is not None else typer.main.get_command(app)
    for name, sub in sorted(group.commands.items()):
        if getattr(sub, "commands", None) is not None:
            yield from _leaf_commands(sub, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), sub


COMMANDS = dict(_leaf_commands())
WITH_DB = sorted(
    name for name, cmd in COMMANDS.items() if any("--db" in p.opts for p in cmd.params)
)

# How to call each command with everything it requires. {in}: the file or folder it reads;
# {out}: a path it may create; {user}: a user of the demo network; {key}: a signing key;
# {fkey}: a fingerprint key.
CALLS: dict[str, list[str]] = {
    "api-keys issue": ["--user", "{user}"],
    "audit": [],
    "auth-events": [],
    "backup": ["--out", "{out}"],
    "checkpoint": [],
    "checkpoints": [],
    "config show": [],
    "credits list": [],
    "credits note": ["inv_x", "CN-1", "1.00", "--as", "{user}"],
    "db current": [],
    "db upgrade": [],
    "defaults approve": ["apr_x", "--as", "{user}"],
    "defaults close": ["dfl_x", "--as", "{user}"],
    "defaults declare": ["org_x", "--as", "{user}"],
    "defaults list": [],
    "defaults recover": ["dfl_x", "1.00", "--as", "{user}"],
    "defaults show": ["dfl_x"],
    "decisions list": [],
    "decisions score": ["--model", "rmd_x", "--org", "org_x", "--features", "{}", "--as", "{user}"],
    "demo": [],
    "disputes list": [],
    "disputes raise": [
        "--program",
        "prg_x",
        "--supplier",
        "org_x",
        "--invoice-number",
        "I-1",
        "--amount",
        "1.00",
        "--reason",
        "why",
        "--as",
        "{user}",
    ],
    "disputes resolve": ["dsp_x", "--outcome", "withdrawn", "--as", "{user}"],
    "documents approve-override": ["apr_x", "--as", "{user}"],
    "documents confirm": ["doc_x", "--as", "{user}"],
    "documents list": [],
    "documents override": ["doc_x", "--as", "{user}"],
    "documents show": ["doc_x"],
    "documents tolerance": ["--program", "prg_x", "--as", "{user}"],
    "export": ["--out", "{out}"],
    "flags clear": ["ffl_x", "--reason", "fine", "--as", "{user}"],
    "flags list": [],
    "flags raise": [
        "--detector",
        "dup/1",
        "--evidence",
        "a duplicate",
        "--program",
        "prg_x",
        "--supplier",
        "org_x",
        "--invoice-number",
        "N-1",
        "--as",
        "{user}",
    ],
    "fingerprints export": ["--out", "{out}", "--key-file", "{fkey}"],
    "fingerprints import": ["{in}", "--key-file", "{fkey}"],
    "import despatches": ["{in}", "--as", "{user}"],
    "import invoices": ["{in}", "--as", "{user}"],
    "import orders": ["{in}", "--as", "{user}"],
    "import payables": ["{in}", "--as", "{user}"],
    "keys generate": ["--out", "{out}"],
    "models list": [],
    "models register": ["{in}", "--kind", "openscf-points/1", "--features", "a", "--as", "{user}"],
    "pay": ["rcv_x", "1.00", "--as", "{user}"],
    "payments export": ["--date", "2026-01-01", "--out", "{out}"],
    "payments list": [],
    "payments status": ["{in}"],
    "receivables list": [],
    "receivables pay-recourse": ["rcv_x", "--as", "{user}"],
    "receivables put-back": ["rcv_x", "--as", "{user}"],
    "receivables show": ["rcv_x"],
    "risk features": ["--data", "{out}", "--as-of", "2026-01-01"],
    "risk report": ["--data", "{out}", "--model", "{in}", "--out", "{out}"],
    "risk score": ["--data", "{out}", "--model", "{in}", "--as-of", "2026-01-01"],
    "risk train": ["--data", "{out}", "--out", "{out}"],
    "rules install": ["--from", "{in}", "--data-dir", "{out}"],
    "rules list": ["--data-dir", "{out}"],
    "risk fraud": ["--data", "{in}"],
    "restore": ["{in}"],
    "risk benchmark": ["--csv", "{in}", "--target", "y"],
    "serve": [],
    "simulate": ["--firms", "12", "--months", "1", "--out", "{out}"],
    "statements import": ["{in}"],
    "submit": [
        "SettleReceivable",
        '{"receivable_id": "rcv_x"}',
        "--org",
        "org_x",
        "--user",
        "usr_x",
        "--key-id",
        "key_x",
        "--key-file",
        "{key}",
    ],
    "validate": ["{in}"],
    "witness": ["--name", "w", "--org", "org_x", "--state", "{out}"],
}
READS_A_FILE = sorted(name for name, args in CALLS.items() if "{in}" in args)
# Commands that check what they read and may find it bad (exit 1): a file that is not XML,
# or not the right document, is reported like any other finding.
CHECKS_CONTENT = {
    "validate",
    "import invoices",
    "import orders",
    "import despatches",
    "import payables",
}

GARBAGE_XML = b"this is not XML at all\n"
POSTGRES_MISSING_DB = "postgresql://postgres@127.0.0.1:5432/no_such_db_xyz"
POSTGRES_REFUSED = "postgresql://postgres@127.0.0.1:1/x"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A demo network in a SQLite file, a maker of its anchor, and keys."""
    from openscf.client import generate_key_file

    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.db"
    result = runner.invoke(app, ["demo", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        user = conn.execute(
            "SELECT u.id FROM users u JOIN organisations o ON o.id = u.org_id "
            "WHERE o.roles LIKE '%anchor%' AND u.permissions LIKE '%maker%' "
            "ORDER BY u.id"
        ).fetchone()[0]
    key = folder / "signing.key"
    generate_key_file(key)
    fkey = folder / "fingerprint.key"
    fkey.write_text("ab" * 32 + "\n")
    return {"db": db, "user": user, "key": key, "fkey": fkey}


@pytest.fixture(autouse=True)
def _never_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should `serve` ever get past a bad database, fail here rather than serve forever."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve started a server on a bad database")

    monkeypatch.setattr("openscf.cli.serve._run", refuse)
    monkeypatch.delenv("OPENSCF_DATABASE_URL", raising=False)
    monkeypatch.delenv("OPENSCF_DEBUG", raising=False)


def _args(name: str, demo: dict[str, Any], tmp_path: Path, **given: str) -> list[str]:
    values = {
        "in": str(tmp_path / "input.xml"),
        "out": str(tmp_path / "out-new"),
        "user": demo["user"],
        "key": str(demo["key"]),
        "fkey": str(demo["fkey"]),
        **given,
    }
    if not Path(values["in"]).exists() and "in" not in given:
        Path(values["in"]).write_bytes(b"<Invoice/>")
    return name.split() + [
        re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], a) for a in CALLS[name]
    ]


def _one_line_error(result: Any, exit_code: int = 2) -> str:
    """The result is the given exit, with exactly one line on stderr and no traceback;
    a mistake (exit 2) prints nothing else."""
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    assert result.exception is None or isinstance(result.exception, SystemExit), everything
    assert result.exit_code == exit_code, everything
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, everything
    assert lines[0].startswith("error ("), lines[0]
    if exit_code == 2:
        assert result.stdout.strip() == "", everything
    return lines[0]


def test_every_command_is_known_to_these_tests() -> None:
    """A new command needs a line in CALLS, so the bad inputs below reach it."""
    assert sorted(CALLS) == sorted(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(name: str) -> None:
    assert (COMMANDS[name].help or "").strip(), f"`openscf {name}` has no help text"
    result = runner.invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


BAD_DATABASES = {
    "a directory": lambda tmp: ({}, ["--db", str(tmp)]),
    "a file that is not a database": lambda tmp: ({}, ["--db", str(_text_file(tmp))]),
    "a garbage URL in OPENSCF_DATABASE_URL": lambda tmp: ({"OPENSCF_DATABASE_URL": "garbage"}, []),
    "a PostgreSQL database that does not exist": lambda tmp: (
        {"OPENSCF_DATABASE_URL": POSTGRES_MISSING_DB},
        [],
    ),
    "a refused port": lambda tmp: ({"OPENSCF_DATABASE_URL": POSTGRES_REFUSED}, []),
    "an unsupported scheme": lambda tmp: ({"OPENSCF_DATABASE_URL": "mysql://x/y"}, []),
    "a password in an unreachable URL": lambda tmp: (
        {"OPENSCF_DATABASE_URL": "postgresql://postgres:s3cret-pw@127.0.0.1:1/x"},
        [],
    ),
}


def _text_file(tmp: Path) -> Path:
    path = tmp / "notes.txt"
    path.write_text("not a database\n")
    return path


@pytest.mark.parametrize("case", sorted(BAD_DATABASES))
@pytest.mark.parametrize("name", WITH_DB)
def test_a_bad_database_is_one_line_and_exit_2(
    name: str, case: str, tmp_path: Path, demo: dict[str, Any]
) -> None:
    env, db_args = BAD_DATABASES[case](tmp_path)
    result = runner.invoke(app, _args(name, demo, tmp_path) + db_args, env=env)
    line = _one_line_error(result)
    assert "s3cret-pw" not in line
    assert "--db" in line or "OPENSCF_DATABASE_URL" in line or "database" in line


# `restore` makes its --db: a database file that does not exist yet is its normal target.
@pytest.mark.parametrize("name", sorted(set(WITH_DB) - {"demo", "serve", "restore"}))
def test_a_missing_database_file_is_one_line_and_creates_nothing(
    name: str, tmp_path: Path, demo: dict[str, Any]
) -> None:
    missing = tmp_path / "none.db"
    result = runner.invoke(app, [*_args(name, demo, tmp_path), "--db", str(missing)])
    assert "openscf demo" in _one_line_error(result)
    assert not missing.exists()


@pytest.mark.parametrize("name", READS_A_FILE)
@pytest.mark.parametrize("case", ["missing", "a directory"])
def test_a_file_that_cannot_be_read_is_one_line_and_exit_2(
    name: str, case: str, tmp_path: Path, demo: dict[str, Any]
) -> None:
    given = tmp_path / "no-such-file.xml"
    if case == "a directory":
        given = tmp_path / "folder"
        given.mkdir()
    args = _args(name, demo, tmp_path, **{"in": str(given)})
    db = ["--db", str(demo["db"])] if name in WITH_DB else []
    line = _one_line_error(runner.invoke(app, args + db))
    assert given.name in line


@pytest.mark.parametrize("name", READS_A_FILE)
@pytest.mark.parametrize("where", ["plain.xml", "[x]/y.xml", "[bold]/y.xml", "[/]/y.xml"])
def test_a_file_that_is_not_xml_is_one_line_whatever_its_name(
    name: str, where: str, tmp_path: Path, demo: dict[str, Any]
) -> None:
    """Brackets in a path are data: printed as they are, never read as markup."""
    given = tmp_path / where
    given.parent.mkdir(parents=True, exist_ok=True)
    given.write_bytes(GARBAGE_XML)
    args = _args(name, demo, tmp_path, **{"in": str(given)})
    db = ["--db", str(demo["db"])] if name in WITH_DB else []
    result = runner.invoke(app, args + db)
    line = _one_line_error(result, 1 if name in CHECKS_CONTENT else 2)
    if name in CHECKS_CONTENT or name in ("statements import", "payments status"):
        assert str(given) in line or str(given) in result.stdout.splitlines()[0]


def test_an_order_given_to_validate_is_invalid_naming_its_root(tmp_path: Path) -> None:
    order = tmp_path / "[po]" / "order.xml"
    order.parent.mkdir()
    order.write_bytes(
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2">'
        b"<ID>[bold]1</ID></Order>"
    )
    result = runner.invoke(app, ["validate", str(order)])
    _one_line_error(result, 1)
    (verdict,) = [line for line in result.stdout.splitlines() if line.strip()]
    assert verdict.startswith(f"{order}: INVALID") and "Order" in verdict


def test_a_truncated_invoice_is_invalid_naming_the_file(tmp_path: Path) -> None:
    cut = tmp_path / "[inv]" / "cut.xml"
    cut.parent.mkdir()
    cut.write_bytes(
        b'<?xml version="1.0"?>\n<Invoice xmlns="urn:oasis:names:specification:'
        b'ubl:schema:xsd:Invoice-2"><cbc:ID'
    )
    result = runner.invoke(app, ["validate", str(cut)])
    _one_line_error(result, 1)
    assert str(cut) in result.stdout and "malformed_xml" in result.stdout


def test_auditing_a_folder_that_is_not_an_export_is_one_line(tmp_path: Path) -> None:
    for folder in (tmp_path, tmp_path / "[missing]"):
        line = _one_line_error(runner.invoke(app, ["audit", "--export", str(folder)]))
        assert folder.name in line


def test_exporting_into_a_file_is_one_line(tmp_path: Path, demo: dict[str, Any]) -> None:
    target = _text_file(tmp_path)
    line = _one_line_error(
        runner.invoke(app, ["export", "--db", str(demo["db"]), "--out", str(target)])
    )
    assert str(target) in line


def test_a_usage_error_is_one_line_too(tmp_path: Path) -> None:
    for args in (
        ["no-such-command"],
        ["receivables", "list", "--no-such-option"],
        ["receivables", "list", "--limit", "zero"],
        ["receivables", "show"],
    ):
        line = _one_line_error(runner.invoke(app, args))
        assert "--help" in line


def test_with_json_an_error_is_one_json_object_on_stdout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["receivables", "list", "--db", str(tmp_path), "--json"])
    assert result.exit_code == 2 and result.stderr == ""
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["error"]["code"] == "database_is_directory"


def test_an_unexpected_error_is_one_line_pointing_at_openscf_debug(
    tmp_path: Path, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the [bold]disk[/] is on fire")

    monkeypatch.setattr(Ledger, "receivables", broken)
    args = ["receivables", "list", "--db", str(demo["db"])]
    line = _one_line_error(runner.invoke(app, args))
    assert line == (
        "error (internal_error): internal error: RuntimeError: the [bold]disk[/] is "
        "on fire (run with OPENSCF_DEBUG=1 for the traceback)"
    )
    monkeypatch.setenv("OPENSCF_DEBUG", "1")
    assert isinstance(runner.invoke(app, args).exception, RuntimeError)


@pytest.mark.parametrize("error", ["log_integrity_failure", "fork_detected", "invalid_proof"])
def test_an_error_on_the_systems_side_is_one_line_too(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, error: str
) -> None:
    # The one tree (openscf.errors): the log broken, a fork, a proof that does not verify.
    from openscf.app.witness import ForkDetected
    from openscf.store.uow import LogIntegrityError
    from openscf.trust.errors import InvalidProofError

    raised = {
        "log_integrity_failure": LogIntegrityError("the stored tiles are damaged"),
        "fork_detected": ForkDetected("two different trees of size 3: a fork"),
        "invalid_proof": InvalidProofError("the proof does not prove it"),
    }[error]

    def broken(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(Ledger, "receivables", broken)
    line = _one_line_error(runner.invoke(app, ["receivables", "list", "--db", str(demo["db"])]))
    assert line == f"error ({error}): {raised.message}"


def test_a_payables_row_in_an_unknown_currency_is_refused_not_read_as_two_decimals(
    tmp_path: Path, demo: dict[str, Any]
) -> None:
    rows = tmp_path / "payables.csv"
    rows.write_text(
        "invoice_number,invoice_date,due_date,currency,amount,supplier_id,"
        "order_number,disputed\n"
        "INV-XYZ-1,2025-01-15,2025-03-16,XYZ,12500.00,SUP-001,,false\n"
    )
    before = _document_count(demo["db"])
    result = runner.invoke(
        app, ["import", "payables", str(rows), "--as", demo["user"], "--db", str(demo["db"])]
    )
    line = _one_line_error(result, exit_code=1)
    assert "invalid_currency" in line and "'XYZ'" in line, line
    assert _document_count(demo["db"]) == before


def _document_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM trade_documents").fetchone()[0])


# --- wrong without an error: receivables list and validate -------------------------------


def _listed(demo: dict[str, Any], *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(
        app, ["receivables", "list", "--db", str(demo["db"]), "--json", "--limit", "10000", *args]
    )
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout)["data"])


def _created_order(db: Path) -> list[str]:
    """Receivable ids in the order the log created them (pieces of one event by id)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT ref, min(seq) FROM event_refs WHERE kind = 'rcv' AND "
            "ref IN (SELECT id FROM receivables) GROUP BY ref"
        ).fetchall()
    return [ref for ref, _ in sorted(rows, key=lambda row: (row[1], row[0]))]


def test_an_unknown_status_is_refused_naming_the_allowed_ones(demo: dict[str, Any]) -> None:
    result = runner.invoke(
        app, ["receivables", "list", "--db", str(demo["db"]), "--status", "bogus"]
    )
    line = _one_line_error(result)
    assert "unknown_value" in line and "live" in line and "paid_early" in line


def test_every_status_on_the_network_can_be_listed(demo: dict[str, Any]) -> None:
    with sqlite3.connect(demo["db"]) as conn:
        counts = dict(conn.execute("SELECT status, count(*) FROM receivables GROUP BY status"))
    assert len(counts) >= 5
    for status, count in counts.items():
        pieces = _listed(demo, "--status", status)
        assert len(pieces) == count and {p["status"] for p in pieces} == {status}


def test_a_holder_is_named_by_id_or_by_a_name_that_names_one_organisation(
    demo: dict[str, Any],
) -> None:
    with sqlite3.connect(demo["db"]) as conn:
        orgs = conn.execute(
            "SELECT o.id, o.name FROM organisations o WHERE o.id IN "
            "(SELECT holder_id FROM receivables)"
        ).fetchall()
        all_names = [name for (name,) in conn.execute("SELECT name FROM organisations")]
    org_id, name = next(
        (oid, n)
        for oid, n in orgs
        if sum(name_.casefold() == n.casefold() for name_ in all_names) == 1
    )
    by_id = _listed(demo, "--holder", org_id)
    assert by_id and {p["holder_id"] for p in by_id} == {org_id}
    assert _listed(demo, "--holder", name) == by_id
    assert _listed(demo, "--holder", name.upper()) == by_id


def test_an_ambiguous_or_unknown_holder_is_refused_listing_the_matches(
    demo: dict[str, Any],
) -> None:
    with sqlite3.connect(demo["db"]) as conn:
        names = [name for (name,) in conn.execute("SELECT name FROM organisations")]
    word = next(w for w in ("GmbH", "B.V.", "e.K.") if sum(w in n for n in names) >= 2)
    line = _one_line_error(
        runner.invoke(app, ["receivables", "list", "--db", str(demo["db"]), "--holder", word])
    )
    assert "ambiguous_organisation" in line
    assert sum(n in line for n in names if word in n) >= 2
    line = _one_line_error(
        runner.invoke(
            app, ["receivables", "list", "--db", str(demo["db"]), "--holder", "Nobody [at all] Ltd"]
        )
    )
    assert "unknown_organisation" in line and "Nobody [at all] Ltd" in line


def test_oldest_first_is_the_order_the_log_created_the_pieces(demo: dict[str, Any]) -> None:
    listed = [p["id"] for p in _listed(demo)]
    assert listed == _created_order(demo["db"])
    assert listed != sorted(listed), "the demo's ids would sort the same as text: no test"


def test_at_80_columns_every_receivable_id_is_printed_whole(demo: dict[str, Any]) -> None:
    import os
    import subprocess

    ids = [p["id"] for p in _listed(demo)]
    assert max(len(i) for i in ids) >= 26, "no long ids in the demo: nothing to cut"
    exe = Path(sys.executable).with_name("openscf")
    text = subprocess.run(
        [str(exe), "receivables", "list", "--db", str(demo["db"]), "--limit", "10000"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    ).stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    printed = set(re.findall(r"\brcv_[\w.-]*\w", text))
    assert printed == set(ids)


def test_validate_names_the_stages_it_skipped_instead_of_just_valid(
    einvoice: Path, rules_dir: Path, tmp_path: Path
) -> None:
    example = einvoice / "peppol-bis3" / "examples" / "base-example.xml"
    result = runner.invoke(app, ["validate", str(example), "--data-dir", str(rules_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"{example}: valid against the stages run: xsd, en16931 (skipped: schematron, "
        "peppol — run `openscf rules install --bundle official`)"
    )
    result = runner.invoke(app, ["validate", str(example), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"{example}: valid against the stages run: en16931 (skipped: xsd, schematron, "
        "peppol — run `openscf rules install --bundle all`)"
    )


MISTAKES: dict[str, tuple[list[str], str]] = {
    # what: (arguments, the error code the one line names); {db} is the demo database,
    # {file} a text file, {dir} an empty folder's child that does not exist
    "payments list --status bogus": (
        ["payments", "list", "--db", "{db}", "--status", "bogus"],
        "unknown_value",
    ),
    "documents list --kind bogus": (
        ["documents", "list", "--db", "{db}", "--kind", "bogus"],
        "unknown_value",
    ),
    "documents list --status bogus": (
        ["documents", "list", "--db", "{db}", "--status", "bogus"],
        "unknown_value",
    ),
    "simulate --out a file": (["simulate", "--firms", "12", "--out", "{file}"], "not_a_directory"),
    "witness --state a file that is not a state": (
        ["witness", "--db", "{db}", "--name", "w", "--org", "org_x", "--state", "{file}"],
        "unreadable_witness_state",
    ),
    "keys generate over a file": (["keys", "generate", "--out", "{file}"], "key_exists"),
    "keys generate into a missing folder": (["keys", "generate", "--out", "{dir}/k"], "io_error"),
    "submit with broken JSON": (
        [
            "submit",
            "SettleReceivable",
            "{bad",
            "--org",
            "o",
            "--user",
            "u",
            "--key-id",
            "k",
            "--key-file",
            "{file}",
            "--db",
            "{db}",
        ],
        "invalid_json",
    ),
    "submit an unknown command type": (
        [
            "submit",
            "NoSuchCommand",
            "{}",
            "--org",
            "o",
            "--user",
            "u",
            "--key-id",
            "k",
            "--key-file",
            "{file}",
            "--db",
            "{db}",
        ],
        "unknown_command",
    ),
    "submit signed with a file that is not a key": (
        [
            "submit",
            "SettleReceivable",
            '{"receivable_id": "rcv_x"}',
            "--org",
            "o",
            "--user",
            "u",
            "--key-id",
            "k",
            "--key-file",
            "{file}",
            "--db",
            "{db}",
        ],
        "invalid_key_file",
    ),
    "payments export --date nope": (
        ["payments", "export", "--db", "{db}", "--date", "nope", "--out", "{dir}"],
        "invalid_date",
    ),
    "rules install --from a file that is no archive": (
        ["rules", "install", "--from", "{file}", "--data-dir", "{dir}"],
        "rules_install_failed",
    ),
    "export into a folder that is not empty": (
        ["export", "--db", "{db}", "--out", "{nonempty}"],
        "export_exists",
    ),
    "receivables show an unknown id": (
        ["receivables", "show", "rcv_[bold]nothing", "--db", "{db}"],
        "unknown_receivable",
    ),
    "documents show an unknown id": (
        ["documents", "show", "doc_x", "--db", "{db}"],
        "unknown_document",
    ),
    "pay an unknown piece": (
        ["pay", "rcv_nothing", "1.00", "--as", "usr_x", "--db", "{db}"],
        "unknown_receivable",
    ),
    "defaults show an unknown claim": (
        ["defaults", "show", "dfl_x", "--db", "{db}"],
        "unknown_claim",
    ),
    "defaults declare --reason bogus": (
        ["defaults", "declare", "org_x", "--as", "usr_x", "--reason", "bogus", "--db", "{db}"],
        "unknown_value",
    ),
    "defaults recover an unknown claim": (
        ["defaults", "recover", "dfl_x", "1.00", "--as", "usr_nobody", "--db", "{db}"],
        "unknown_user",
    ),
}


@pytest.mark.parametrize("what", sorted(MISTAKES))
def test_other_mistakes_are_one_line_naming_the_problem(
    what: str, tmp_path: Path, demo: dict[str, Any]
) -> None:
    args, code = MISTAKES[what]
    nonempty = tmp_path / "full"
    nonempty.mkdir()
    (nonempty / "something").write_text("x")
    values = {
        "db": str(demo["db"]),
        "file": str(_text_file(tmp_path)),
        "dir": str(tmp_path / "missing"),
        "nonempty": str(nonempty),
    }
    filled = [re.sub(r"\{(db|file|dir|nonempty)\}", lambda m: values[m.group(1)], a) for a in args]
    line = _one_line_error(runner.invoke(app, filled))
    assert line.startswith(f"error ({code}): "), line


def test_a_bad_serve_option_is_refused_before_the_database_is_touched(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    line = _one_line_error(runner.invoke(app, ["serve", "--db", str(db), "--clock-start", "noon"]))
    assert "--clock-start" in line and not db.exists()


def test_the_installed_entry_point_prints_one_line_too(tmp_path: Path) -> None:
    """The real `openscf` process, not the test runner: no traceback reaches the terminal."""
    import os
    import subprocess

    exe = Path(sys.executable).with_name("openscf")
    bracketed = tmp_path / "[x]" / "y.xml"
    bracketed.parent.mkdir()
    bracketed.write_bytes(GARBAGE_XML)
    runs = [
        ([str(exe), "receivables", "list"], {"OPENSCF_DATABASE_URL": "mysql://x/y"}, 2),
        ([str(exe), "audit", "--db", str(tmp_path)], {}, 2),
        ([str(exe), "validate", str(bracketed)], {}, 1),
    ]
    for argv, env, code in runs:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **env, "COLUMNS": "80"},
        )
        assert done.returncode == code, done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error ("), done.stderr
