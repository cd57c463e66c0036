"""`openscf backup` and `openscf restore`: a copy taken while commands keep arriving
restores into a fresh place, audits clean, holds every command acknowledged before the
backup started, and its log is a prefix of the live one; with the master key restored
beside it the network takes new commands. On SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from openscf.app import FixedClock, NetworkService
from openscf.domain import commands as c
from openscf.sim.network_builder import client_id
from openscf.store import make_engine, sqlite_url

from .harness import (
    DUE,
    FACE,
    OPENSCF,
    TRADE_AT,
    World,
    audit_findings,
    build_world,
    logged_event_ids,
)


def openscf(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    full.pop("OPENSCF_DATABASE_URL", None)
    return subprocess.run(
        [str(OPENSCF), *args], capture_output=True, text=True, env=full, timeout=300, check=False
    )


@pytest.fixture
def fresh_place(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind to restore into: a new SQLite file, or a new
    PostgreSQL database beside the test's own."""
    if db_url.startswith("sqlite"):
        yield sqlite_url(tmp_path / "restored.db")
        return
    url = make_url(db_url)
    name = f"{url.database}_restored"
    admin = make_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = url.set(database=name).render_as_string(hide_password=False)
    yield target.replace("postgresql+psycopg://", "postgresql://")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Loader(threading.Thread):
    """Confirms invoices through the app layer until stopped, remembering when each
    command was acknowledged (returned) and the events it logged."""

    def __init__(self, world: World) -> None:
        super().__init__(daemon=True)
        self.world = world
        self.stop = threading.Event()
        self.acknowledged: list[tuple[float, list[str]]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        engine = make_engine(self.world.url)
        svc = NetworkService(engine, FixedClock(TRADE_AT))
        try:
            j = 0
            while not self.stop.is_set():
                supplier = self.world.suppliers[j % len(self.world.suppliers)][0]
                tag = f"load{j}"
                out = svc.handle(
                    self.world.anchor_user,
                    c.ConfirmInvoice(
                        self.world.program,
                        supplier,
                        f"INV-{tag}",
                        FACE,
                        "EUR",
                        DUE,
                        invoice_id=client_id("inv", self.world.anchor, tag),
                    ),
                )
                self.acknowledged.append((time.monotonic(), [e["id"] for e in out.events]))
                j += 1
        except BaseException as exc:  # the test reports it
            self.error = exc
        finally:
            engine.dispose()

    def wait_for(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            assert self.error is None, self.error
            time.sleep(0.05)
        assert len(self.acknowledged) >= count, "the loader made no progress"


def test_a_backup_under_load_restores_audits_clean_and_holds_every_acknowledged_command(
    db_url: str, fresh_place: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENSCF_MASTER_KEY", raising=False)
    source_keys, restored_keys = tmp_path / "keys-live", tmp_path / "keys-restored"
    monkeypatch.setenv("OPENSCF_DATA_DIR", str(source_keys))  # PostgreSQL's key file
    world = build_world(db_url, clients=3)
    key_file = (
        Path(make_url(db_url).database + ".key")
        if db_url.startswith("sqlite")
        else source_keys / "master.key"
    )
    assert key_file.is_file()
    loader = Loader(world)
    loader.start()
    try:
        loader.wait_for(20)
        backup_started = time.monotonic()
        made = openscf("backup", "--db", db_url, "--out", str(tmp_path / "net.backup"), "--json")
        backup_ended = time.monotonic()
        loader.wait_for(len(loader.acknowledged) + 5)  # it went on after the copy
    finally:
        loader.stop.set()
        loader.join(60)
    assert loader.error is None, loader.error
    assert made.returncode == 0, made.stderr
    assert "master key" in made.stdout and str(key_file.name) in made.stdout
    before = [e for at, events in loader.acknowledged if at < backup_started for e in events]
    during = [
        at for at, _ in loader.acknowledged if backup_started <= at <= backup_ended
    ]  # how much the copy overlapped the load (for the failure message)

    env = {"OPENSCF_DATA_DIR": str(restored_keys)}
    restored = openscf(
        "restore", str(tmp_path / "net.backup"), "--db", fresh_place, "--master-key",
        str(key_file), env=env,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    audited = openscf("audit", "--db", fresh_place, env=env)
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert "audit OK" in audited.stdout

    live, copy = logged_event_ids(db_url), logged_event_ids(fresh_place)
    assert set(before) <= set(copy), f"{len(during)} commands acknowledged during the copy"
    assert copy == live[: len(copy)], "the restored log is not a prefix of the live log"
    assert len(copy) < len(live)  # the load went on after the copy's moment

    # The master key came back beside it: the restored network signs and takes commands.
    monkeypatch.setenv("OPENSCF_DATA_DIR", str(restored_keys))
    engine = make_engine(fresh_place)
    try:
        NetworkService(engine, FixedClock(TRADE_AT)).handle(
            world.anchor_user,
            c.ConfirmInvoice(world.program, world.suppliers[0][0], "INV-after", FACE, "EUR", DUE),
        )
    finally:
        engine.dispose()
    assert audit_findings(fresh_place) == []


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENSCF_DATA_DIR", str(tmp_path / "keys"))
    build_world(db_url, clients=1)
    backup = tmp_path / "net.backup"
    assert openscf("backup", "--db", db_url, "--out", str(backup)).returncode == 0
    again = openscf("backup", "--db", db_url, "--out", str(backup))
    assert again.returncode == 2
    assert again.stderr.strip().startswith("error (file_exists):")
    assert len(again.stderr.strip().splitlines()) == 1

    refused = openscf("restore", str(backup), "--db", db_url)
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("error (database_not_empty):")
    assert "--force" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    forced = openscf("restore", str(backup), "--db", db_url, "--force")
    assert forced.returncode == 0, forced.stderr
    assert openscf("audit", "--db", db_url).returncode == 0


def test_restore_says_in_one_line_what_is_wrong_with_the_file_or_the_target(
    tmp_path: Path,
) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    wrong = openscf("restore", str(not_a_backup), "--db", str(tmp_path / "r.db"))
    assert wrong.returncode == 2
    assert wrong.stderr.strip().startswith("error (not_a_backup):")
    missing = openscf("restore", str(tmp_path / "nothing"), "--db", str(tmp_path / "r.db"))
    assert missing.stderr.strip().startswith("error (no_such_file):")
    dump = tmp_path / "net.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    other_kind = openscf("restore", str(dump), "--db", str(tmp_path / "r.db"))
    assert other_kind.stderr.strip().startswith("error (wrong_database_kind):")
    for done in (wrong, missing, other_kind):
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    helped = openscf("backup", "--help")
    assert "master key" in helped.stdout.lower()
    restore_help = openscf("restore", "--help").stdout
    assert "--master-key" in restore_help and "--force" in restore_help
