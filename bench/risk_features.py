"""Credit features for every supplier of an export as of one date, on DuckDB.

    .venv/bin/python bench/risk_features.py --data /tmp/sim10k --as-of 2026-06-30
    .venv/bin/python bench/risk_features.py --data sim-out --replicate 25   # 25 copies

Target (issue: risk intelligence): features for 10,000 firms as of one date in <= 10 s on
DuckDB on this machine. Prints wall time and the process's CPU time (DuckDB's threads
included) of each run, split into the relational step (Ibis compile + DuckDB) and the
numpy finish, the first run (cold: the Parquet files and Ibis's compile caches are
fresh) and the best of the others. `--replicate N` writes N copies of a smaller export
into one, with the organisations, invoices and pieces renamed per copy (N disconnected
economies: a size test, not a realistic network); the copy is kept in a temp folder.

`--profile` prints where the relational time goes (compile vs execute per query).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from openscf.risk import compute_features, open_source
from openscf.risk import features as F

_TABLES = ("firms", "invoices", "payments", "receivables", "events", "labels", "health")
_ID = re.compile(r"\b((?:org|inv|rcv|ofr|fin|evt|usr|ord)_)")


def replicate(src: Path, copies: int, out: Path) -> Path:
    """`copies` renamed copies of the export at `src` in one folder."""
    out.mkdir(parents=True, exist_ok=True)
    for name in _TABLES:
        path = src / f"{name}.parquet"
        if not path.exists():
            continue
        table = pq.read_table(path)
        parts = []
        for k in range(copies):
            cols = {}
            for field in table.schema:
                col = table.column(field.name)
                if pa.types.is_string(field.type):
                    col = pc.replace_substring_regex(col, _ID.pattern, rf"\1c{k:03d}")
                cols[field.name] = col
            parts.append(pa.table(cols, schema=table.schema))
        pq.write_table(pa.concat_tables(parts), out / f"{name}.parquet", compression="zstd")
    return out


def run(data: Path, as_of: date, engine: str = "duckdb") -> dict[str, Any]:
    source = open_source(data, engine)
    wall, cpu = time.perf_counter(), time.process_time()
    table = compute_features(source, as_of)
    return {
        "wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
        "suppliers": len(table),
        "firms": int(source.backend.execute(source.table("firms").count())),
    }


def profile(data: Path, as_of: date) -> None:
    source = open_source(data)
    source.check_as_of(as_of)
    t = F.cut_to(source, as_of)
    queries = {**F._firm_queries(t, as_of)}
    queries["events"] = F._events_query(t, as_of)
    queries["edges"] = F._edges_query(t, as_of)
    for name, q in queries.items():
        t0, c0 = time.perf_counter(), time.process_time()
        source.backend.compile(q)
        t1, c1 = time.perf_counter(), time.process_time()
        source.backend.execute(q)
        t2, c2 = time.perf_counter(), time.process_time()
        print(
            f"{name:8s} compile {t1 - t0:6.2f} s wall {c1 - c0:6.2f} s CPU   "
            f"compile+execute {t2 - t1:6.2f} s wall {c2 - c1:6.2f} s CPU"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--replicate", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    data = args.data
    if args.replicate > 1:
        data = replicate(data, args.replicate, Path(tempfile.mkdtemp(prefix="risk-bench-")))
    as_of = args.as_of or open_source(data).last_day()
    if args.profile:
        profile(data, as_of)
        return
    runs = [run(data, as_of) for _ in range(args.runs)]
    best = min(runs[1:] or runs, key=lambda r: r["wall_s"])
    print(
        json.dumps(
            {
                "data": str(data),
                "as_of": as_of.isoformat(),
                "firms": runs[0]["firms"],
                "suppliers": runs[0]["suppliers"],
                "first": runs[0],
                "best_of_rest": best,
                "runs": runs,
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"load average {os.getloadavg()[0]:.1f}",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
