"""The CLI and the Python client sign on the client side; the server never sees the key."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from openscf.app import FixedClock, NetworkService
from openscf.app.audit import audit, db_source
from openscf.cli import app
from openscf.client import RequestSigner
from openscf.domain import commands as c
from openscf.sim.network_builder import NetworkBuilder
from openscf.store import make_engine, migrate, sqlite_url
from openscf.store import tables as t
from openscf.store.queries import iter_events

runner = CliRunner()


def test_a_command_signed_by_the_cli_with_a_local_key_is_applied_and_audits(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    db = tmp_path / "net.db"
    engine = make_engine(sqlite_url(db))
    migrate(engine)
    # The CLI signs with the wall clock, so the network runs on it too.
    svc = NetworkService(engine, FixedClock(datetime.now(UTC)))
    builder = NetworkBuilder(svc)
    anchor = builder.anchor("A", user_name="a", iban=None, bic=None)
    selfsign = builder.supplier("Self GmbH", user_name="s", custodial_key=False)
    org, user = selfsign.org_id, selfsign.user_id

    key_file = tmp_path / "self.key"
    made = runner.invoke(app, ["keys", "generate", "--out", str(key_file)])
    assert made.exit_code == 0 and made.stdout.startswith("ed25519:")
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    key_id = builder.key(org, made.stdout.strip())

    prg = builder.program(
        anchor,
        "P",
        suppliers=[org],
        max_tenor_days=120,
        program_limit_minor=10**9,
        approval_threshold_minor=10**9,
    )
    au = anchor.user_id
    due = (datetime.now(UTC) + timedelta(days=60)).date()
    rid = svc.handle(au, c.ConfirmInvoice(prg, org, "CLI-1", 90_000, "EUR", due)).created[
        "receivable_id"
    ]
    result = runner.invoke(
        app,
        [
            "submit",
            "SplitReceivable",
            json.dumps({"receivable_id": rid, "amounts_minor": [30_000, 60_000]}),
            "--org",
            org,
            "--user",
            user,
            "--key-id",
            key_id,
            "--key-file",
            str(key_file),
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["created"]["piece_ids"]) == 2
    with engine.connect() as conn:
        last = list(iter_events(conn))[-1]
        stored = conn.execute(select(t.custodial_secrets.c.key_id)).scalars().all()
    assert last.auth is not None and last.auth.key_id == key_id and not last.auth.custodial
    assert key_id not in stored  # the private key never reached the server
    assert audit(db_source(engine)).ok


def test_the_signer_fills_in_every_created_id_before_signing(tmp_path: Path) -> None:
    from openscf.client import generate_key_file

    generate_key_file(tmp_path / "k")
    signer = RequestSigner.from_file(tmp_path / "k", "key_x")
    signed = signer.sign(c.TransferReceivable("rcv_1", "org_2", 100), "org_1", "usr_1")
    body = json.loads(signed.request)["data"]
    assert body["new_receivable_id"] and body["part_id"] and body["remainder_id"]
    assert "seed" not in repr(signer)


def test_submitting_to_a_missing_database_is_a_clear_error_and_creates_nothing(
    tmp_path: Path,
) -> None:
    from openscf.client import generate_key_file

    generate_key_file(tmp_path / "k")
    missing = tmp_path / "none.db"
    result = runner.invoke(
        app,
        [
            "submit",
            "SettleReceivable",
            json.dumps({"receivable_id": "rcv_x"}),
            "--org",
            "org_a",
            "--user",
            "usr_a",
            "--key-id",
            "key_a",
            "--key-file",
            str(tmp_path / "k"),
            "--db",
            str(missing),
        ],
    )
    assert result.exit_code == 2
    assert "no_database" in result.output
    assert not missing.exists()
