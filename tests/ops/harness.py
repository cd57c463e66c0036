"""What the operations tests share: a network with API keys, `openscf serve` as a process,
clients that issue commands and remember what was acknowledged, and the checks afterwards
(the auditor's replay; every acknowledged event in the log, once).

Every command a client sends carries client-chosen ids, so a retry (after a 409
concurrent_modification, which PostgreSQL answers when two workers race for one record)
can never apply it twice.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from openscf.app import FixedClock, NetworkService
from openscf.app.audit import audit, db_source
from openscf.app.auth import Authenticator
from openscf.sim.network_builder import UNLIMITED_MINOR, client_id, standard_network
from openscf.store import make_engine, migrate
from openscf.store import tables as t

OPENSCF = Path(sys.executable).with_name("openscf")
SETUP_AT = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday
TRADE_AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DUE = date(2027, 3, 5)
FACE = 1_000_00


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def master_key_env() -> dict[str, str]:
    """A fresh master key in the environment (so that every process of a test, and the
    test itself, unseal with the same key, wherever the database lives)."""
    return {"OPENSCF_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}


@dataclass
class World:
    """A program with one anchor, one funder and `clients` suppliers, each with a key."""

    url: str
    program: str
    anchor: str
    anchor_user: str
    anchor_key: str
    suppliers: list[tuple[str, str, str]]  # (org id, user id, API key)
    setup_events: int


def build_world(url: str, clients: int) -> World:
    """The network, built through the app layer, and one API key per user (the master key
    comes from the environment: see `master_key_env`)."""
    engine = make_engine(url)
    migrate(engine)
    clock = FixedClock(SETUP_AT)
    svc = NetworkService(engine, clock, seed=11)
    auth = Authenticator(engine, clock)
    net = standard_network(
        svc,
        suppliers=[f"Supplier {i}" for i in range(clients)],
        anchor_name="Anchor AG",
        funder_name="Funder Bank",
        program_name="ops",
        anchor_checker_and_viewer=False,
        limit_minor=UNLIMITED_MINOR,
        approval_threshold_minor=UNLIMITED_MINOR,
    )

    def key(user: str) -> str:
        secret = auth.issue_api_key(user, "ops test").secret
        assert secret is not None
        return secret

    world = World(
        url,
        net.program_id,
        net.anchor.org_id,
        net.anchor.user_id,
        key(net.anchor.user_id),
        [(s.org_id, s.user_id, key(s.user_id)) for s in net.suppliers],
        log_size(engine),
    )
    engine.dispose()
    return world


def log_size(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT size FROM log_head WHERE id = 1")).scalar_one())


class Server:
    """`openscf serve` in a subprocess (its own process group), clock at TRADE_AT."""

    def __init__(self, url: str, env: dict[str, str], *, workers: int = 1) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        full_env = {**os.environ, **env}
        full_env.pop("OPENSCF_DATABASE_URL", None)
        self.process = subprocess.Popen(
            [
                str(OPENSCF),
                "serve",
                "--db",
                url,
                "--port",
                str(self.port),
                "--no-access-log",
                "--workers",
                str(workers),
                "--clock-start",
                TRADE_AT.isoformat().replace("+00:00", "Z"),
            ],
            stdout=self.output,
            stderr=subprocess.STDOUT,
            env=full_env,
        )
        deadline = time.monotonic() + 300  # a loaded machine starts 4 workers slowly
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("the server exited at start:\n" + self.log())
            try:
                if httpx.get(self.base + "/v1/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("the server did not answer within 300 s:\n" + self.log())

    def log(self) -> str:
        self.output.seek(0)
        return self.output.read().decode(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Outcome:
    """What one client saw."""

    acknowledged: list[tuple[float, list[str]]] = field(default_factory=list)  # (time, events)
    refused: list[str] = field(default_factory=list)  # 4xx/5xx other than a lost race
    dropped: list[str] = field(default_factory=list)  # connection refused, reset, closed
    hung: list[str] = field(default_factory=list)  # no answer within the timeout
    retries: int = 0


class Client(threading.Thread):
    """Confirms invoices to its supplier and splits each receivable, over HTTP, until it
    has done `cycles` or `stop` is set; a dropped connection ends it when `stop_on_drop`."""

    def __init__(
        self,
        index: int,
        base: str,
        world: World,
        *,
        cycles: int = 10**6,
        stop: threading.Event | None = None,
        timeout: float = 60.0,
        stop_on_drop: bool = False,
    ) -> None:
        super().__init__(daemon=True)
        self.index, self.base, self.world, self.cycles = index, base, world, cycles
        self.stop = stop or threading.Event()
        self.timeout, self.stop_on_drop = timeout, stop_on_drop
        self.outcome = Outcome()
        self._dropped = False

    def call(self, key: str, path: str, body: dict[str, Any]) -> bool:
        """True when acknowledged (2xx); retries a lost race with the same ids."""
        headers = {"Authorization": f"Bearer {key}"}
        for _ in range(20):
            try:
                with httpx.Client(base_url=self.base, timeout=self.timeout) as http:
                    response = http.post(path, json=body, headers=headers)
            except httpx.TimeoutException as exc:
                self.outcome.hung.append(f"{path}: {type(exc).__name__}")
                self._dropped = True
                return False
            except httpx.TransportError as exc:
                self.outcome.dropped.append(f"{path}: {type(exc).__name__}")
                self._dropped = True
                return False
            if response.status_code == 409 and response.json()["error"]["code"] == (
                "concurrent_modification"
            ):
                self.outcome.retries += 1
                continue
            if response.status_code >= 300:
                self.outcome.refused.append(f"{path}: {response.status_code} {response.text[:300]}")
                return False
            events = [e for e in response.headers.get("OpenSCF-Events", "").split(",") if e]
            self.outcome.acknowledged.append((time.monotonic(), events))
            return True
        self.outcome.refused.append(f"{path}: still conflicting after 20 attempts")
        return False

    def run(self) -> None:
        w = self.world
        org, _user, key = w.suppliers[self.index]
        for j in range(self.cycles):
            if self.stop.is_set() or (self._dropped and self.stop_on_drop):
                return
            tag = f"c{self.index}x{j}"
            rcv = client_id("rcv", w.anchor, tag)
            confirmed = self.call(
                w.anchor_key,
                "/v1/confirmations",
                {
                    "program_id": w.program,
                    "supplier_id": org,
                    "invoice_number": f"INV-{tag}",
                    "amount_minor": FACE,
                    "currency": "EUR",
                    "due_on": DUE.isoformat(),
                    "invoice_id": client_id("inv", w.anchor, tag),
                    "receivable_id": rcv,
                },
            )
            if confirmed:
                self.call(
                    key,
                    f"/v1/receivables/{rcv}/split",
                    {
                        "amounts_minor": [FACE // 4, FACE - FACE // 4],
                        "piece_ids": [client_id("rcv", org, tag + a) for a in "ab"],
                    },
                )


def acknowledged_events(clients: list[Client], before: float = float("inf")) -> list[str]:
    return [
        event
        for client in clients
        for at, events in client.outcome.acknowledged
        if at < before
        for event in events
    ]


def logged_event_ids(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(select(t.events.c.id).order_by(t.events.c.seq))]
    finally:
        engine.dispose()


def audit_findings(url: str) -> list[str]:
    """The auditor's findings on the database at `url` (empty: everything holds)."""
    engine = make_engine(url)
    try:
        report = audit(db_source(engine))
        return [str(f) for f in report.findings]
    finally:
        engine.dispose()
