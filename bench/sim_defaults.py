"""How many firms default in a simulated economy of a given size: the evaluation sample.

A firm's default is decided by its hidden health alone (weekly steps of its own random
stream), never by what happens on the platform, so this counts defaults by tier without
running the platform: the same `Economy` is built (world, health, seeds) and only its
weekly health steps are taken, for the trading months of each size. The counts equal
those of `openscf simulate` with the same firms, months and seed (without --run-off).

    .venv/bin/python bench/sim_defaults.py --sizes 2000x12,10000x24 --seeds 1,2,3

prints a Markdown table for docs/benchmarks.md and the simulation docs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import create_engine

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openscf.sim import defaults  # noqa: E402
from openscf.sim.config import SimConfig  # noqa: E402
from openscf.sim.economy import Economy  # noqa: E402

DEFAULT_SIZES = "1000x12,2000x12,2000x24,5000x12,5000x24,10000x12,10000x24"


def defaults_by_tier(config: SimConfig) -> tuple[int, list[int], int]:
    """(anchors defaulted, suppliers defaulted per tier, suppliers) over the trading months."""
    economy = Economy(create_engine("sqlite://"), config)  # the platform is never called
    for day in range(0, economy.trading_days, 7):
        defaults.move_health(economy, day)
    firms = economy.firms
    fallen = economy.book.default_day
    anchors = sum(1 for f in fallen if firms[f].kind == "anchor")
    tiers = [
        sum(1 for f in fallen if firms[f].tier == t and firms[f].kind == "supplier")
        for t in range(1, config.tiers + 1)
    ]
    return anchors, tiers, sum(len(m) for m in economy.world.tiers.values())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="FIRMSxMONTHS, comma-separated")
    parser.add_argument("--seeds", default="1,2,3", help="seeds, comma-separated")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        "| firms x months | suppliers | defaulted by tier (1 / 2 / 3), mean over seeds "
        "| defaulted firms per seed | anchors defaulted |"
    )
    print("|---|---|---|---|---|")
    for size in args.sizes.split(","):
        firms, months = (int(x) for x in size.split("x"))
        runs = [defaults_by_tier(SimConfig(firms=firms, months=months, seed=s)) for s in seeds]
        n_tiers = len(runs[0][1])
        mean = [sum(r[1][t] for r in runs) / len(runs) for t in range(n_tiers)]
        totals = [sum(r[1]) + r[0] for r in runs]
        print(
            f"| {firms:,} x {months} | {runs[0][2]:,} | "
            f"{' / '.join(f'{m:,.0f}' for m in mean)} | "
            f"{', '.join(f'{t:,}' for t in totals)} | "
            f"{', '.join(str(r[0]) for r in runs)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
