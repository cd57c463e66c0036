"""The REST API under load: N concurrent clients on loopback against `openscf serve`.

Each client runs cycles of the full flow, every step an HTTP request with its own API
key: the anchor confirms an invoice, the supplier splits the receivable, transfers one
piece to a tier-2 supplier, which asks for financing; the funder offers, the tier-2
supplier accepts. The server is then restarted with its clock at maturity
(`openscf serve --clock-start`) and the anchor settles every live piece (two per cycle):
eight commands per cycle. Ids are client-supplied, so a retry (after a 409
concurrent_modification on PostgreSQL) can never apply a command twice.

Afterwards the auditor's replay runs over the log, and every event id the server named
in its `OpenSCF-Events` headers is checked against the log: nothing lost (each one is
there), nothing applied twice (the log holds exactly those, once each).

    .venv/bin/python bench/api_load.py --db sqlite [--clients 16] [--cycles 40]
    .venv/bin/python bench/api_load.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openscf.app import FixedClock, NetworkService  # noqa: E402
from openscf.app.auth import Authenticator  # noqa: E402
from openscf.domain.replay import replay  # noqa: E402
from openscf.sim.network_builder import UNLIMITED_MINOR, client_id, standard_network  # noqa: E402
from openscf.store import make_engine, migrate, sqlite_url  # noqa: E402
from openscf.store import tables as t  # noqa: E402
from openscf.store.queries import iter_events  # noqa: E402

SETUP_AT = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday
TRADE_AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DUE = date(2027, 3, 5)  # a Friday, a TARGET business day
SETTLE_AT = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
FACE = 100_000_00


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(db: str) -> str:
    if db == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="openscf-api-bench-")) / "bench.db"
        return sqlite_url(path)
    engine = make_engine(db)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return db


def setup(url: str, clients: int) -> dict[str, Any]:
    """The network, built through the app layer (not timed), and one API key per user."""
    engine = make_engine(url)
    migrate(engine)
    clock = FixedClock(SETUP_AT)
    svc = NetworkService(engine, clock, seed=5)
    auth = Authenticator(engine, clock)
    names = [f"Tier1 {i}" for i in range(clients)] + [f"Tier2 {i}" for i in range(clients)]
    net = standard_network(
        svc,
        suppliers=names,
        anchor_name="Anchor AG",
        funder_name="Funder Bank",
        program_name="bench",
        anchor_checker_and_viewer=False,
        limit_minor=UNLIMITED_MINOR,
        approval_threshold_minor=UNLIMITED_MINOR,
    )
    tier1, tier2 = net.suppliers[:clients], net.suppliers[clients:]

    def key(user: str) -> str:
        secret = auth.issue_api_key(user, "bench").secret
        assert secret is not None
        return secret

    with engine.connect() as conn:
        setup_events = int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())
    world = {
        "program": net.program_id,
        "anchor": net.anchor.org_id,
        "anchor_key": key(net.anchor.user_id),
        "funder": net.funder.org_id,
        "funder_key": key(net.funder.user_id),
        "tier1": [(f.org_id, key(f.user_id)) for f in tier1],
        "tier2": [(f.org_id, key(f.user_id)) for f in tier2],
        "setup_events": setup_events,
    }
    engine.dispose()
    return world


class Server:
    """`openscf serve` in a subprocess, with its clock started at `clock_start`."""

    def __init__(self, url: str, clock_start: datetime, workers: int = 1) -> None:
        self.port = free_port()
        cmd = [
            str(REPO / ".venv" / "bin" / "openscf"),
            "serve",
            "--db",
            url,
            "--port",
            str(self.port),
            "--no-access-log",
            "--workers",
            str(workers),
            "--clock-start",
            clock_start.isoformat().replace("+00:00", "Z"),
        ]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/v1/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start:\n" + self.output())

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Client(threading.Thread):
    """One client: its own tier-1 and tier-2 supplier, a keep-alive connection per key."""

    def __init__(
        self,
        index: int,
        base: str,
        world: dict[str, Any],
        cycles: int,
        phase: str,
        results: dict[str, Any],
    ) -> None:
        super().__init__(daemon=True)
        self.index, self.base, self.world, self.cycles = index, base, world, cycles
        self.phase, self.results = phase, results
        self.latencies: list[float] = []
        self.events: list[str] = []
        self.errors: list[str] = []
        self.retries = 0
        self.http = httpx.Client(base_url=base, timeout=60)

    def call(self, key: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"}
        for _attempt in range(10):
            started = time.perf_counter()
            response = self.http.post(path, json=body or {}, headers=headers)
            self.latencies.append(time.perf_counter() - started)
            if response.status_code == 409 and response.json()["error"]["code"] == (
                "concurrent_modification"
            ):
                self.retries += 1
                continue
            if response.status_code >= 400:
                self.errors.append(f"{path}: {response.status_code} {response.text[:200]}")
                return {}
            self.events.extend(
                e for e in response.headers.get("OpenSCF-Events", "").split(",") if e
            )
            result: dict[str, Any] = response.json()
            return result
        self.errors.append(f"{path}: still conflicting after 10 attempts")
        return {}

    def trade(self, j: int) -> None:
        w, i = self.world, self.index
        s1, k1 = w["tier1"][i]
        s2, k2 = w["tier2"][i]
        tag = f"b{i}x{j}"
        anchor, funder = w["anchor"], w["funder"]
        rcv, a, b, t, fin, ofr, f = (
            client_id(prefix, org, tag + x)
            for prefix, org, x in (
                ("rcv", anchor, "r"),
                ("rcv", s1, "a"),
                ("rcv", s1, "b"),
                ("rcv", s1, "t"),
                ("fin", s2, ""),
                ("ofr", funder, ""),
                ("rcv", s2, "f"),
            )
        )
        self.call(
            w["anchor_key"],
            "/v1/confirmations",
            {
                "program_id": w["program"],
                "supplier_id": s1,
                "invoice_number": f"INV-{tag}",
                "amount_minor": FACE,
                "currency": "EUR",
                "due_on": DUE.isoformat(),
                "invoice_id": client_id("inv", anchor, tag),
                "receivable_id": rcv,
            },
        )
        self.call(
            k1,
            f"/v1/receivables/{rcv}/split",
            {"amounts_minor": [FACE * 6 // 10, FACE - FACE * 6 // 10], "piece_ids": [a, b]},
        )
        self.call(k1, f"/v1/receivables/{a}/transfer", {"to_org_id": s2, "new_receivable_id": t})
        self.call(k2, "/v1/financing_requests", {"receivable_id": t, "id": fin})
        self.call(
            w["funder_key"],
            f"/v1/financing_requests/{fin}/offers",
            {"annual_rate": "0.0415", "value_date": TRADE_AT.date().isoformat(), "id": ofr},
        )
        self.call(k2, f"/v1/financing_offers/{ofr}/accept", {"new_receivable_id": f})

    def settle(self, j: int) -> None:
        tag = f"b{self.index}x{j}"
        s1, s2 = self.world["tier1"][self.index][0], self.world["tier2"][self.index][0]
        # The two live pieces of the cycle: the split's kept half and the sold piece.
        for piece in (client_id("rcv", s1, tag + "b"), client_id("rcv", s2, tag + "f")):
            self.call(self.world["anchor_key"], f"/v1/receivables/{piece}/settle")

    def run(self) -> None:
        for j in range(self.cycles):
            (self.trade if self.phase == "trade" else self.settle)(j)
        self.http.close()


def run_phase(
    base: str, world: dict[str, Any], clients: int, cycles: int, phase: str
) -> tuple[list[Client], float]:
    # Warm the connection pool and the server's caches with one read per key.
    with httpx.Client(base_url=base) as warm:
        for _, key in world["tier1"][:1]:
            warm.get("/v1/receivables?limit=1", headers={"Authorization": f"Bearer {key}"})
    threads = [Client(i, base, world, cycles, phase, {}) for i in range(clients)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return threads, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summarise(name: str, threads: list[Client], seconds: float) -> dict[str, Any]:
    lat = [x for th in threads for x in th.latencies]
    ok = (
        sum(len(th.latencies) for th in threads)
        - sum(th.retries for th in threads)
        - sum(len(th.errors) for th in threads)
    )
    return {
        "phase": name,
        "requests": len(lat),
        "commands_ok": ok,
        "errors": sum(len(th.errors) for th in threads),
        "retries": sum(th.retries for th in threads),
        "seconds": round(seconds, 3),
        "commands_per_s": round(ok / seconds) if seconds else 0,
        "p50_ms": round(percentile(lat, 0.50) * 1000, 2),
        "p95_ms": round(percentile(lat, 0.95) * 1000, 2),
        "p99_ms": round(percentile(lat, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else 0,
    }


def audit(url: str, world: dict[str, Any], named: list[str]) -> dict[str, Any]:
    engine = make_engine(url)
    with engine.connect() as conn:
        check = replay(iter_events(conn))
        logged = [
            row[0]
            for row in conn.execute(
                select(t.events.c.id).where(t.events.c.seq > world["setup_events"])
            )
        ]
        statuses = dict(
            conn.execute(
                select(t.receivables.c.status, func.count()).group_by(t.receivables.c.status)
            ).all()
        )
    engine.dispose()
    return {
        "invariants_ok": check.ok,
        "violations": [str(v) for v in check.violations][:5],
        "events_named": len(named),
        "events_named_distinct": len(set(named)),
        "events_logged": len(logged),
        "nothing_lost": set(named) <= set(logged),
        "nothing_twice": len(named) == len(set(named)) == len(logged),
        "receivables_by_status": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite", help="'sqlite' (temp file) or a URL")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--cycles", type=int, default=40, help="cycles of 8 per client")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    args = parser.parse_args()

    url = fresh_database(args.db)
    world = setup(url, args.clients)
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        f", {args.clients} clients x {args.cycles} cycles, db {args.db.split('@')[-1]}",
        file=sys.stderr,
    )
    results = []
    named: list[str] = []
    errors: list[str] = []
    total_ok, total_seconds, all_threads = 0, 0.0, []
    for phase, clock in (("trade", TRADE_AT), ("settle", SETTLE_AT)):
        server = Server(url, clock, args.workers)
        try:
            threads, seconds = run_phase(server.base, world, args.clients, args.cycles, phase)
        finally:
            server.stop()
        summary = summarise(phase, threads, seconds)
        results.append(summary)
        print(json.dumps(summary), file=sys.stderr)
        total_ok += summary["commands_ok"]
        total_seconds += seconds
        all_threads.extend(threads)
        for th in threads:
            named.extend(th.events)
            errors.extend(th.errors)
    overall = summarise("all", all_threads, total_seconds)
    report = {
        "db": "sqlite" if args.db == "sqlite" else "postgresql",
        "clients": args.clients,
        "cycles": args.cycles,
        "workers": args.workers,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "phases": results,
        "overall": overall,
        "audit": audit(url, world, named),
        "first_errors": errors[:5],
    }
    print(json.dumps(report, indent=2))
    ok = (
        report["audit"]["invariants_ok"]
        and report["audit"]["nothing_lost"]
        and report["audit"]["nothing_twice"]
        and not errors
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
