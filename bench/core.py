"""Durable commands per second through the whole stack: app -> domain -> store -> commit.

A realistic mix, repeated in cycles of eight commands: the anchor confirms an invoice, the
supplier splits the receivable in two, transfers one piece to a tier-2 supplier, asks for
financing on the other, a funder offers, the supplier accepts; at maturity the anchor
settles both live pieces. Ids are client-supplied (so batches can be built ahead and every
command also writes its idempotency record).

Modes: one command per transaction, and batches of --batch commands per transaction.

    .venv/bin/python bench/core.py --db sqlite [--cycles 2000] [--batch 1000]
    .venv/bin/python bench/core.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openscf.app import FixedClock, NetworkService  # noqa: E402
from openscf.domain import commands as c  # noqa: E402
from openscf.domain.replay import replay  # noqa: E402
from openscf.sim.network_builder import UNLIMITED_MINOR, client_id, standard_network  # noqa: E402
from openscf.store import make_engine, migrate, sqlite_url  # noqa: E402
from openscf.store.queries import iter_events  # noqa: E402

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
CHECKPOINT_INTERVAL_S = 0.0
DUE = date(2026, 4, 30)


def fresh_engine(db: str, synchronous: str):  # type: ignore[no-untyped-def]
    if db == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="openscf-bench-")) / "bench.db"
        engine = make_engine(sqlite_url(path), synchronous=synchronous)
    else:
        engine = make_engine(db)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate(engine)
    return engine


def setup(engine, suppliers: int = 50):  # type: ignore[no-untyped-def]
    clock = FixedClock(START)
    svc = NetworkService(engine, clock, seed=1, checkpoint_interval_s=CHECKPOINT_INTERVAL_S)
    net = standard_network(
        svc,
        suppliers=[f"S{i}" for i in range(suppliers)],
        anchor_name="Anchor",
        funder_name="Funder",
        program_name="bench",
        anchor_checker_and_viewer=False,
        limit_minor=UNLIMITED_MINOR,
        approval_threshold_minor=UNLIMITED_MINOR,
    )
    return svc, clock, net


def cycle_commands(i: int, tag: str, net):  # type: ignore[no-untyped-def]
    """The first six commands of cycle i on `net` (a `StandardNetwork`), and the ids of
    the two pieces to settle later."""
    anchor, funder = net.anchor, net.funder
    s = net.suppliers[i % len(net.suppliers)]
    t2 = net.suppliers[(i + 1) % len(net.suppliers)]
    r, inv = (client_id(p, anchor.org_id, f"{tag}{i}{x}") for p, x in (("rcv", "r"), ("inv", "")))
    ofr = client_id("ofr", funder.org_id, f"{tag}{i}o")
    a, b, a2, fin, b2 = (
        client_id(p, s.org_id, f"{tag}{i}{x}")
        for p, x in (("rcv", "a"), ("rcv", "b"), ("rcv", "a2"), ("fin", "f"), ("rcv", "b2"))
    )
    face = 10_000_00 + i
    cmds = [
        (
            anchor.user_id,
            c.ConfirmInvoice(
                net.program_id,
                s.org_id,
                f"INV-{tag}{i}",
                face,
                "EUR",
                DUE,
                invoice_id=inv,
                receivable_id=r,
            ),
        ),
        (s.user_id, c.SplitReceivable(r, (face // 2, face - face // 2), (a, b))),
        (s.user_id, c.TransferReceivable(a, t2.org_id, new_receivable_id=a2)),
        (s.user_id, c.RequestFinancing(b, fin)),
        (funder.user_id, c.OfferFinancing(fin, "0.045", START.date(), 0, ofr)),
        (s.user_id, c.AcceptFinancingOffer(ofr, b2)),
    ]
    return cmds, (a2, b2)


def run(db: str, cycles: int, batch: int, synchronous: str) -> list[dict[str, object]]:
    results = []
    for mode in ("single", "batch"):
        engine = fresh_engine(db, synchronous)
        svc, clock, net = setup(engine)
        work, settle = [], []
        for i in range(cycles):
            cmds, live = cycle_commands(i, mode[0], net)
            work.extend(cmds)
            settle.extend(live)
        settle_cmds = [(net.anchor.user_id, c.SettleReceivable(p)) for p in settle]
        n = len(work) + len(settle_cmds)
        started = time.perf_counter()
        if mode == "single":
            for user, cmd in work:
                svc.handle(user, cmd)
            clock.set(datetime(2026, 4, 30, 10, tzinfo=UTC))
            for user, cmd in settle_cmds:
                svc.handle(user, cmd)
        else:
            for k in range(0, len(work), batch):
                svc.handle_batch(work[k : k + batch])
            clock.set(datetime(2026, 4, 30, 10, tzinfo=UTC))
            for k in range(0, len(settle_cmds), batch):
                svc.handle_batch(settle_cmds[k : k + batch])
        svc.sign_checkpoint()  # every command is covered by a signed checkpoint
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            check = replay(iter_events(conn))
        engine.dispose()
        results.append(
            {
                "db": "sqlite" if db == "sqlite" else "postgresql",
                "mode": mode,
                "per_transaction": 1 if mode == "single" else batch,
                "synchronous": synchronous if db == "sqlite" else "on (synchronous_commit)",
                "checkpoint_interval_s": CHECKPOINT_INTERVAL_S,
                "commands": n,
                "seconds": round(elapsed, 3),
                "commands_per_s": round(n / elapsed),
                "invariants_ok": check.ok,
            }
        )
        print(json.dumps(results[-1]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite", help="'sqlite' (temp file) or a URL")
    parser.add_argument("--cycles", type=int, default=1500, help="cycles of 8 commands")
    parser.add_argument("--batch", type=int, default=1000, help="commands per batch")
    parser.add_argument(
        "--checkpoint-interval",
        type=float,
        default=0.0,
        help="seconds between signed checkpoints (0: every commit)",
    )
    parser.add_argument(
        "--synchronous",
        default="NORMAL",
        choices=["NORMAL", "FULL"],
        help="SQLite durability: NORMAL (WAL, crash-safe) or FULL (fsync)",
    )
    args = parser.parse_args()
    global CHECKPOINT_INTERVAL_S
    CHECKPOINT_INTERVAL_S = args.checkpoint_interval
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        flush=True,
    )
    run(args.db, args.cycles, args.batch, args.synchronous)


if __name__ == "__main__":
    main()
