"""Default models, measured: the German credit benchmark and the out-of-time evaluation.

    .venv/bin/python bench/risk.py german [--folds 5 --repeats 3 --seed 0]
    .venv/bin/python bench/risk.py oot --train DIR[,DIR] --test DIR[,DIR]
        [--train-from D --train-to D --test-from D --test-to D] [--target default_90d]
        [--models OUT]

`german` runs `openscf risk benchmark` on the corpus's German credit table (3 x 5-fold
stratified CV) and prints each model's AUC with its interval. `oot` builds the point-in-time
training frames (`openscf.risk.labels.training_frame`, monthly as-of dates) of simulated
economies (`openscf simulate --out DIR`), trains on the training economies' as-of months in
[train-from, train-to] and tests on *other* economies' (other seeds, so other firms) months
in [test-from, test-to]; for the scorecard and LightGBM, firm-only and firm+network
features, it prints AUC, KS, Brier with firm-bootstrap intervals, AUC per tier and the
network features' lift, and with --models writes each artefact, its record and model card.
The frames are cached next to each export (`DIR/risk-frame.parquet`). Numbers go to
docs/benchmarks.md by hand, with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openscf.risk import FEATURES, open_source  # noqa: E402
from openscf.risk.backtest import out_of_time  # noqa: E402
from openscf.risk.evaluation import cross_validate, read_dataset  # noqa: E402
from openscf.risk.labels import month_ends, training_frame  # noqa: E402
from openscf.risk.models import FeatureSet  # noqa: E402
from openscf.risk.monitoring import stability_report, write_model  # noqa: E402

GERMAN = REPO / "tests" / "conformance" / "credit" / "germancredit.csv"


def german(args: argparse.Namespace) -> None:
    data = read_dataset(GERMAN, "creditability")
    cpu = time.process_time()
    result = cross_validate(data, folds=args.folds, repeats=args.repeats, seed=args.seed)
    print(
        f"German credit, {args.repeats} x {args.folds}-fold, CPU {time.process_time() - cpu:.0f} s"
    )
    print("| model | AUC (mean of folds) | 95 % interval | fold sd | CPU s |")
    print("|---|---|---|---|---|")
    for kind, row in result["models"].items():
        a = row["auc"]
        print(
            f"| {kind} | {a['point']:.3f} | {a['low']:.3f} - {a['high']:.3f} | "
            f"{row['fold_auc_sd']:.3f} | {row['cpu_seconds']:.1f} |"
        )


def _frame(directory: Path) -> pd.DataFrame:
    cache = directory / "risk-frame.parquet"
    if cache.exists():
        frame = pd.read_parquet(cache)
    else:
        # the simulation's first day, from its summary: month ends from there to the end
        start = json.loads((directory / "summary.json").read_text())["config"]["start"]
        source = open_source(str(directory), "duckdb")
        try:
            frame = training_frame(source, month_ends(date.fromisoformat(start), source.last_day()))
        finally:
            source.close()
        frame.to_parquet(cache, index=False)
    frame["org_id"] = directory.name + ":" + frame["org_id"].astype(str)
    frame["as_of"] = frame["as_of"].astype(str)
    return frame


def _frames(dirs: str, first: str, last: str) -> pd.DataFrame:
    frames = [_frame(Path(d)) for d in dirs.split(",")]
    out = pd.concat(frames, ignore_index=True)
    return out.loc[(out["as_of"] >= first) & (out["as_of"] <= last)].reset_index(drop=True)


def oot(args: argparse.Namespace) -> None:
    train = _frames(args.train, args.train_from, args.train_to)
    test = _frames(args.test, args.test_from, args.test_to)
    fs = FeatureSet.from_registry(FEATURES)
    cpu = time.process_time()
    result, models = out_of_time(train, test, fs, target=args.target, n_boot=args.boot)
    print(
        f"out of time, {args.target}: train {args.train} {result['train']['period']}, "
        f"test {args.test} {result['test']['period']}; CPU {time.process_time() - cpu:.0f} s"
    )
    for side in ("train", "test"):
        d = result[side]
        print(
            f"  {side}: {d['rows']} rows, {d['events']} defaults ({d['event_rate']:.1%}), "
            f"{d['firms']} firms of which {d['defaulting_firms']} default"
        )
    print("| model / features | AUC | KS | Brier | AUC tier 1 / 2 / 3 | lift of network features |")
    print("|---|---|---|---|---|---|")
    for name, m in result["models"].items():
        tiers = " / ".join(
            f"{v['auc']['point']:.2f}" for _, v in sorted(m.get("auc_by_group", {}).items())
        )
        lift = m.get("lift_over_firm")
        lift_text = "" if lift is None else _iv(lift, signed=True)
        print(
            f"| {name} ({m['features']}) | {_iv(m['auc'])} | {_iv(m['ks'])} | "
            f"{_iv(m['brier'], 4)} | {tiers} | {lift_text} |"
        )
    if args.models:
        out = Path(args.models)
        for (kind, scope), model in models.items():
            metrics = result["models"][f"{kind}/{scope}"]
            write_model(
                model,
                out,
                data=f"simulated economies {args.train} (train), {args.test} (test)",
                period=f"train {result['train']['period']}, test {result['test']['period']}",
                metrics={k: metrics[k] for k in ("auc", "ks", "brier", "auc_by_group")},
            )
        champion = models[("scorecard", "firm+network")]
        psi = stability_report(champion, train, test)
        print(f"PSI of the champion's score, train -> test: {psi['score_psi']:.3f}")
        print("PSI warnings:", "; ".join(psi["warnings"]) or "none")
        (out / "oot.json").write_text(json.dumps(result, indent=2, default=str))


def _iv(v: dict[str, float], digits: int = 3, signed: bool = False) -> str:
    f = f"{{:{'+' if signed else ''}.{digits}f}}"
    return f"{f.format(v['point'])} [{f.format(v['low'])}, {f.format(v['high'])}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    g = sub.add_parser("german")
    g.add_argument("--folds", type=int, default=5)
    g.add_argument("--repeats", type=int, default=3)
    g.add_argument("--seed", type=int, default=0)
    o = sub.add_parser("oot")
    o.add_argument("--train", required=True)
    o.add_argument("--test", required=True)
    o.add_argument("--train-from", default="2026-02-28")
    o.add_argument("--train-to", default="2026-06-30")
    o.add_argument("--test-from", default="2026-07-31")
    o.add_argument("--test-to", default="2026-09-30")
    o.add_argument("--target", default="default_90d")
    o.add_argument("--boot", type=int, default=500)
    o.add_argument("--models", default="")
    args = parser.parse_args()
    german(args) if args.what == "german" else oot(args)


if __name__ == "__main__":
    main()
