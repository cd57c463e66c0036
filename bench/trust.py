"""The verifiable log, measured against pymerkle 7 in the same run.

1. Append throughput, leaves/s including storage: openscf's tiled tree (openscf.trust.tiles)
   written to SQLite exactly as the store does (log_tiles upserts, one transaction per
   batch), against pymerkle's InmemoryTree (append_entry) and SqliteTree (append_entries).
2. Proof generation from storage and verification, at 1M and 10M leaves: inclusion and
   consistency proofs for random indices/sizes, each from a cold tile cache.
3. Audit rate: `openscf audit` over a log built by the core benchmark's command mix,
   events/s including every signature check, re-derivation and replay, on one core.

    .venv/bin/python bench/trust.py [--sizes 1000000,10000000] [--audit-cycles 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from openscf.trust.merkle import (  # noqa: E402
    consistency_proof_from_nodes,
    hash_leaf,
    inclusion_proof_from_nodes,
    verify_consistency,
    verify_inclusion,
)
from openscf.trust.tiles import TileAppender, node_getter  # noqa: E402

BATCH = 10_000


def entries(start: int, n: int) -> list[bytes]:
    return [b"event %d" % i for i in range(start, start + n)]


def openscf_store(path: Path, size: int) -> tuple[float, bytes]:
    """Append `size` leaves into a tiled SQLite store; returns (leaves/s, root)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE log_tiles (level INTEGER, idx INTEGER, width INTEGER, "
        "hashes BLOB, PRIMARY KEY (level, idx)) WITHOUT ROWID"
    )
    upsert = (
        "INSERT INTO log_tiles VALUES (?, ?, ?, ?) ON CONFLICT (level, idx) DO UPDATE "
        "SET width = excluded.width, hashes = excluded.hashes"
    )
    appender = TileAppender()
    started = time.perf_counter()
    for start in range(0, size, BATCH):
        writes = appender.extend([hash_leaf(e) for e in entries(start, min(BATCH, size - start))])
        conn.execute("BEGIN")
        conn.executemany(upsert, writes)
        conn.execute("COMMIT")
    rate = size / (time.perf_counter() - started)
    root = appender.root()
    conn.close()
    return rate, root


def openscf_proofs(path: Path, size: int, samples: int) -> dict[str, float]:
    conn = sqlite3.connect(path)
    query = "SELECT hashes FROM log_tiles WHERE level = ? AND idx = ?"

    def get_tile(level: int, index: int) -> bytes:
        return bytes(conn.execute(query, (level, index)).fetchone()[0])

    rng = random.Random(7)
    root = TileAppender.from_tiles(size, get_tile).root()
    gen = ver = 0.0
    for _ in range(samples):
        index = rng.randrange(size)
        t0 = time.perf_counter()
        proof = inclusion_proof_from_nodes(index, size, node_getter(get_tile))
        t1 = time.perf_counter()
        leaf = hash_leaf(b"event %d" % index)
        verify_inclusion(index, size, leaf, proof, root)
        gen += t1 - t0
        ver += time.perf_counter() - t1
    cgen = cver = 0.0
    for _ in range(samples):
        old = rng.randrange(1, size)
        t0 = time.perf_counter()
        consistency_proof_from_nodes(old, size, node_getter(get_tile))
        cgen += time.perf_counter() - t0
    # Verify consistency proofs against roots computed independently at a few sizes.
    for old in (1, size // 3, size // 2, size - 1):
        proof = consistency_proof_from_nodes(old, size, node_getter(get_tile))
        old_root = _root_at(get_tile, old)
        t0 = time.perf_counter()
        verify_consistency(old, size, old_root, root, proof)
        cver += time.perf_counter() - t0
    conn.close()
    return {
        "inclusion_gen_ms": gen / samples * 1e3,
        "inclusion_verify_ms": ver / samples * 1e3,
        "consistency_gen_ms": cgen / samples * 1e3,
        "consistency_verify_ms": cver / 4 * 1e3,
    }


def _root_at(get_tile, size: int) -> bytes:  # type: ignore[no-untyped-def]
    from openscf.trust.merkle import root_from_nodes

    return root_from_nodes(size, node_getter(get_tile))


def pymerkle_runs(size: int, samples: int, workdir: Path, inmemory_max: int) -> dict[str, float]:
    from pymerkle import InmemoryTree, SqliteTree
    from pymerkle import verify_consistency as pm_verify_consistency
    from pymerkle import verify_inclusion as pm_verify_inclusion

    out: dict[str, float] = {}
    if size <= inmemory_max:  # InmemoryTree holds every node in Python objects: GBs at 10M
        tree = InmemoryTree(algorithm="sha256")
        started = time.perf_counter()
        for start in range(0, size, BATCH):
            for e in entries(start, min(BATCH, size - start)):
                tree.append_entry(e)
        out["inmemory_append_per_s"] = size / (time.perf_counter() - started)
        del tree
    path = workdir / f"pymerkle-{size}.db"
    with SqliteTree(str(path), algorithm="sha256") as st:
        started = time.perf_counter()
        for start in range(0, size, BATCH):
            st.append_entries(entries(start, min(BATCH, size - start)))
        out["sqlite_append_per_s"] = size / (time.perf_counter() - started)
        rng = random.Random(7)
        root = st.get_root()
        gen = ver = cgen = cver = 0.0
        for _ in range(samples):
            index = rng.randrange(1, size + 1)  # pymerkle is 1-based
            t0 = time.perf_counter()
            proof = st.prove_inclusion(index, size)
            t1 = time.perf_counter()
            pm_verify_inclusion(st.get_leaf(index), root, proof)
            gen += t1 - t0
            ver += time.perf_counter() - t1
            old = rng.randrange(1, size)
            t0 = time.perf_counter()
            cproof = st.prove_consistency(old, size)
            t1 = time.perf_counter()
            pm_verify_consistency(st.get_root(old), root, cproof)
            cgen += t1 - t0
            cver += time.perf_counter() - t1
        out.update(
            {
                "sqlite_inclusion_gen_ms": gen / samples * 1e3,
                "sqlite_inclusion_verify_ms": ver / samples * 1e3,
                "sqlite_consistency_gen_ms": cgen / samples * 1e3,
                "sqlite_consistency_verify_ms": cver / samples * 1e3,
            }
        )
    path.unlink(missing_ok=True)
    return out


def audit_rate(cycles: int) -> dict[str, float]:
    import core  # bench/core.py: the same command mix

    from openscf.app.audit import audit, db_source

    engine = core.fresh_engine("sqlite", "NORMAL")
    svc, clock, net = core.setup(engine)
    work, settle = [], []
    for i in range(cycles):
        cmds, live = core.cycle_commands(i, "a", net)
        work.extend(cmds)
        settle.extend(live)
    for k in range(0, len(work), 1000):
        svc.handle_batch(work[k : k + 1000])
    from datetime import UTC, datetime

    from openscf.domain import commands as c

    clock.set(datetime(2026, 4, 30, 10, tzinfo=UTC))
    items = [(net.anchor.user_id, c.SettleReceivable(p)) for p in settle]
    for k in range(0, len(items), 1000):
        svc.handle_batch(items[k : k + 1000])
    report = audit(db_source(engine))
    assert report.ok, report.findings[:3]
    return {
        "events": report.events,
        "signatures": report.signatures_checked,
        "seconds": report.seconds,
        "events_per_s": report.events / report.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument(
        "--pymerkle-max", type=int, default=10_000_000, help="largest size to run pymerkle at"
    )
    parser.add_argument("--pymerkle-inmemory-max", type=int, default=1_000_000)
    parser.add_argument("--audit-cycles", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "trust.json")
    args = parser.parse_args()
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(f"# {machine}", flush=True)
    results: dict[str, object] = {"machine": machine}
    workdir = Path(tempfile.mkdtemp(prefix="openscf-trust-bench-"))
    for size in (int(s) for s in args.sizes.split(",")):
        path = workdir / f"openscf-{size}.db"
        rate, _ = openscf_store(path, size)
        row: dict[str, float] = {"openscf_append_per_s": rate}
        row.update(openscf_proofs(path, size, args.samples))
        row["openscf_db_bytes"] = path.stat().st_size
        print(json.dumps({"size": size, **row}), flush=True)
        if size <= args.pymerkle_max:
            pm = pymerkle_runs(size, args.samples, workdir, args.pymerkle_inmemory_max)
            row.update({f"pymerkle_{k}": v for k, v in pm.items()})
            row["append_ratio_vs_pymerkle_sqlite"] = rate / pm["sqlite_append_per_s"]
            if "inmemory_append_per_s" in pm:
                row["append_ratio_vs_pymerkle_inmemory"] = rate / pm["inmemory_append_per_s"]
            print(json.dumps({"size": size, **pm}), flush=True)
        path.unlink(missing_ok=True)
        results[str(size)] = row
    results["audit"] = audit_rate(args.audit_cycles)
    print(json.dumps({"audit": results["audit"]}), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
