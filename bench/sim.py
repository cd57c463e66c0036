"""The simulator at scale: wall and CPU time per stage, platform commands per second, peak
memory, and the defaulting firms the run gives a credit model to evaluate on.

Runs `openscf.sim.run.simulate` in this process (so `ru_maxrss` is the whole run's peak
resident memory) on a fresh SQLite database in a temporary directory, and prints one JSON
object plus a Markdown table row for docs/benchmarks.md. The size of record is 10,000
firms x 24 months (<= 20 minutes, <= 6 GiB). On a shared machine wall time includes
waiting for a core; the CPU time (user + sys) and the load averages say how much.

    .venv/bin/python bench/sim.py --firms 10000 --months 24 --seed 1
    taskset -c 0 .venv/bin/python bench/sim.py ...     # pin to one core
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openscf.sim.config import SimConfig  # noqa: E402
from openscf.sim.run import simulate  # noqa: E402


class _Lines:
    """Progress as occasional log lines (a bar would garble captured output)."""

    def __init__(self) -> None:
        self.name = ""
        self.started = time.perf_counter()
        self.last = 0.0

    def stage(self, name: str, total: int | None) -> None:
        self.name = name
        print(f"# {time.perf_counter() - self.started:7.1f}s  {name}", file=sys.stderr, flush=True)

    def update(self, done: int, total: int | None = None) -> None:
        now = time.perf_counter()
        if now - self.last > 30:
            self.last = now
            print(
                f"# {now - self.started:7.1f}s  {self.name}: {done}/{total}",
                file=sys.stderr,
                flush=True,
            )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return (
        f"{cpu}, {os.cpu_count()} cores ({affinity} usable by this process){mem}, "
        f"Python {platform.python_version()}, SQLite"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--firms", type=int, default=10_000, help="firms in the economy")
    parser.add_argument("--months", type=int, default=24, help="months of trading")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--batch", type=int, default=1000, help="commands per transaction")
    parser.add_argument(
        "--out", type=Path, default=None, help="output directory (default: a fresh temporary one)"
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the invariant replay")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="openscf-sim-bench-"))
    config = SimConfig(firms=args.firms, months=args.months, seed=args.seed, batch_size=args.batch)
    print(f"# {machine()}", flush=True)
    load_before = os.getloadavg()
    started = time.perf_counter()
    result = simulate(config, out, _Lines(), verify=not args.no_verify)
    total = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024
    # CPU seconds of this process: on a shared machine, wall time includes waiting for
    # the core; CPU time does not.
    cpu = usage.ru_utime + usage.ru_stime
    load_after = os.getloadavg()
    defaults = result.analysis["defaults"]
    counts = result.analysis["counts"]
    simulate_s = result.seconds.get("simulate", 0.0)
    db_size = sum(p.stat().st_size for p in out.glob("openscf.db*"))
    parquet = sum(p.stat().st_size for p in out.glob("*.parquet"))
    record = {
        "firms": args.firms,
        "months": args.months,
        "seed": args.seed,
        "batch": args.batch,
        "seconds_total": round(total, 1),
        "cpu_seconds": round(cpu, 1),
        "user_seconds": round(usage.ru_utime, 1),
        "sys_seconds": round(usage.ru_stime, 1),
        "load_average_1min": [round(load_before[0], 1), round(load_after[0], 1)],
        "seconds_by_stage": result.seconds,
        "peak_rss_mib": round(peak),
        "orders": counts["orders"],
        "invoices": counts["invoices"],
        "receivable_pieces": counts["receivable_pieces"],
        "financings": counts["financings"],
        "defaulted_suppliers_by_tier": defaults["by_tier"],
        "defaulted_anchors": len(defaults["anchors"]),
        "platform_commands": counts["platform_commands"],
        "commands_per_s_in_simulate": round(counts["platform_commands"] / simulate_s)
        if simulate_s
        else None,
        "events": result.rows.get("events"),
        "replay_ok": result.replay_ok,
        "database_mib": round(db_size / 2**20),
        "parquet_mib": round(parquet / 2**20),
        "out": str(out),
    }
    print(json.dumps(record), flush=True)
    print(
        f"| {args.firms:,} x {args.months} | {record['invoices']:,} | "
        f"{record['platform_commands']:,} | {record['events']:,} | "
        f"{total:,.0f} s ({cpu:,.0f} s CPU) | {peak:,.0f} MiB | {result.replay_ok} |"
    )


if __name__ == "__main__":
    main()
