"""`openscf simulate` on the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from openscf.cli import app
from openscf.sim.export import EXPORTS

runner = CliRunner()


def test_simulate_writes_the_database_the_exports_and_the_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        ["simulate", "--firms", "60", "--months", "2", "--seed", "3", "--out", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["replay_ok"] is True
    assert summary["analysis"]["firms"]["total"] == 60
    for name in EXPORTS:
        assert (out / f"{name}.parquet").stat().st_size > 0, name
    assert (out / "openscf.db").exists() and (out / "report.html").exists()
    assert json.loads((out / "summary.json").read_text())["rows"] == summary["rows"]


def test_an_anchor_default_can_be_asked_for_in_a_small_economy(tmp_path: Path) -> None:
    args = ["simulate", "--firms", "60", "--months", "2", "--seed", "3", "--run-off", "--json"]
    result = runner.invoke(app, [*args, "--anchor-default", "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["replay_ok"] is True
    assert summary["analysis"]["defaults"]["anchors"], summary["analysis"]["defaults"]
    calm = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert json.loads(calm.stdout)["analysis"]["defaults"]["anchors"] == []


def test_simulate_prints_a_summary_table_without_json(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "--firms",
            "40",
            "--months",
            "1",
            "--out",
            str(tmp_path / "run"),
            "--no-verify",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "platform commands" in result.output and "report.html" in result.output


def test_simulate_refuses_an_economy_too_small_to_exist(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--firms", "5", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert not (tmp_path / "x").exists()


def test_every_simulate_option_has_help() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    for option in (
        "--firms",
        "--months",
        "--seed",
        "--out",
        "--tiers",
        "--adoption",
        "--fraud",
        "--run-off",
        "--batch-size",
        "--verify",
        "--seeds",
        "--json",
    ):
        assert option in result.output, option
    text = re.sub(r"[│\s]+", " ", result.output)  # the help's box, unwrapped
    assert "pools them with a seed column" in text


def test_seeds_run_into_sub_directories_and_pool_with_a_seed_column(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--firms",
            "40",
            "--months",
            "1",
            "--seed",
            "5",
            "--seeds",
            "2",
            "--no-verify",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["seeds"] == [5, 6]
    for name in EXPORTS:
        pooled = pq.read_table(out / f"{name}.parquet")
        assert pooled.column_names[0] == "seed", name
        assert (
            pooled.column_names[1:] == pq.read_schema(out / "seed-5" / f"{name}.parquet").names
        ), name
        per_seed = {
            s: pq.read_metadata(out / f"seed-{s}" / f"{name}.parquet").num_rows for s in (5, 6)
        }
        seeds = pooled.column("seed").to_pylist()
        assert {s: seeds.count(s) for s in (5, 6)} == per_seed, name
        assert summary["pooled_rows"][name] == sum(per_seed.values())
    # Each seed's run is a whole run of its own, and the seeds differ.
    assert (out / "seed-5" / "openscf.db").exists() and (out / "seed-6" / "report.html").exists()
    invoices = pq.read_table(out / "invoices.parquet").to_pylist()
    five = [i["amount_minor"] for i in invoices if i["seed"] == 5]
    six = [i["amount_minor"] for i in invoices if i["seed"] == 6]
    assert five and six and five != six


def test_a_list_of_seeds_names_them(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "--firms",
            "30",
            "--months",
            "1",
            "--seeds",
            "9,3",
            "--no-verify",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("seed-*")) == ["seed-3", "seed-9"]
    assert set(pq.read_table(tmp_path / "firms.parquet").column("seed").to_pylist()) == {3, 9}
    assert "pooled tables" in result.output


@pytest.mark.parametrize("seeds", ["0", "two", "1,1", "1,x", "101"])
def test_seeds_that_name_no_runs_are_refused(tmp_path: Path, seeds: str) -> None:
    result = runner.invoke(
        app, ["simulate", "--firms", "30", "--seeds", seeds, "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "--seeds" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()
