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
from openscf.domain.ids import tagged_id  # noqa: E402
from openscf.domain.replay import replay  # noqa: E402
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
    _, op = svc.bootstrap_operator()

    def org(name: str, roles: tuple[str, ...]) -> tuple[str, str]:
        o = svc.handle(op, c.RegisterOrganisation(name, roles, "DE",
                                                  iban="DE89370400440532013000",
                                                  bic="COBADEFFXXX")).created["org_id"]
        u = svc.handle(op, c.AddUser(o, name, ("admin", "maker"))).created["user_id"]
        return o, u

    anchor = org("Anchor", ("anchor",))
    funder = org("Funder", ("funder",))
    sups = [org(f"S{i}", ("supplier",)) for i in range(suppliers)]
    limit = 2**62
    prg = svc.handle(anchor[1], c.CreateProgram("bench", "EUR", 180, limit, limit, limit,
                                                approval_threshold_minor=limit)).created[
        "program_id"]
    svc.handle(anchor[1], c.AddFunder(prg, funder[0]))
    for s, _ in sups:
        svc.handle(anchor[1], c.OnboardSupplier(prg, s))
    return svc, clock, prg, anchor, funder, sups


def cycle_commands(i: int, tag: str, prg: str, anchor, funder, sups):  # type: ignore[no-untyped-def]
    """The first six commands of cycle i, and the ids of the two pieces to settle later."""
    s, s_user = sups[i % len(sups)]
    t2, _ = sups[(i + 1) % len(sups)]
    # Each id in the namespace of the organisation whose command creates it.
    r, a, b, a2, fin, ofr, b2 = (tagged_id(p, org, f"{tag}{i}{x}") for p, org, x in (
        ("rcv", anchor[0], "r"), ("rcv", s, "a"), ("rcv", s, "b"), ("rcv", s, "a2"),
        ("fin", s, "f"), ("ofr", funder[0], "o"), ("rcv", s, "b2")))
    face = 10_000_00 + i
    cmds = [
        (anchor[1], c.ConfirmInvoice(prg, s, f"INV-{tag}{i}", face, "EUR", DUE,
                                     invoice_id=tagged_id("inv", anchor[0], f"{tag}{i}"),
                                     receivable_id=r)),
        (s_user, c.SplitReceivable(r, (face // 2, face - face // 2), (a, b))),
        (s_user, c.TransferReceivable(a, t2, new_receivable_id=a2)),
        (s_user, c.RequestFinancing(b, fin)),
        (funder[1], c.OfferFinancing(fin, "0.045", START.date(), 0, ofr)),
        (s_user, c.AcceptFinancingOffer(ofr, b2)),
    ]
    return cmds, (a2, b2)


def run(db: str, cycles: int, batch: int, synchronous: str) -> list[dict[str, object]]:
    results = []
    for mode in ("single", "batch"):
        engine = fresh_engine(db, synchronous)
        svc, clock, prg, anchor, funder, sups = setup(engine)
        work, settle = [], []
        for i in range(cycles):
            cmds, live = cycle_commands(i, mode[0], prg, anchor, funder, sups)
            work.extend(cmds)
            settle.extend(live)
        settle_cmds = [(anchor[1], c.SettleReceivable(p)) for p in settle]
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
                svc.handle_batch(work[k:k + batch])
            clock.set(datetime(2026, 4, 30, 10, tzinfo=UTC))
            for k in range(0, len(settle_cmds), batch):
                svc.handle_batch(settle_cmds[k:k + batch])
        svc.sign_checkpoint()  # every command is covered by a signed checkpoint
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            check = replay(iter_events(conn))
        engine.dispose()
        results.append({
            "db": "sqlite" if db == "sqlite" else "postgresql", "mode": mode,
            "per_transaction": 1 if mode == "single" else batch,
            "synchronous": synchronous if db == "sqlite" else "on (synchronous_commit)",
            "checkpoint_interval_s": CHECKPOINT_INTERVAL_S,
            "commands": n, "seconds": round(elapsed, 3),
            "commands_per_s": round(n / elapsed), "invariants_ok": check.ok,
        })
        print(json.dumps(results[-1]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite", help="'sqlite' (temp file) or a URL")
    parser.add_argument("--cycles", type=int, default=1500, help="cycles of 8 commands")
    parser.add_argument("--batch", type=int, default=1000, help="commands per batch")
    parser.add_argument("--checkpoint-interval", type=float, default=0.0,
                        help="seconds between signed checkpoints (0: every commit)")
    parser.add_argument("--synchronous", default="NORMAL", choices=["NORMAL", "FULL"],
                        help="SQLite durability: NORMAL (WAL, crash-safe) or FULL (fsync)")
    args = parser.parse_args()
    global CHECKPOINT_INTERVAL_S
    CHECKPOINT_INTERVAL_S = args.checkpoint_interval
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}", flush=True)
    run(args.db, args.cycles, args.batch, args.synchronous)


if __name__ == "__main__":
    main()
