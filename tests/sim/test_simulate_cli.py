"""`openscf simulate` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openscf.cli import app
from openscf.sim.export import EXPORTS

runner = CliRunner()


def test_simulate_writes_the_database_the_exports_and_the_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["simulate", "--firms", "60", "--months", "2", "--seed", "3",
                                 "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["replay_ok"] is True
    assert summary["analysis"]["firms"]["total"] == 60
    for name in EXPORTS:
        assert (out / f"{name}.parquet").stat().st_size > 0, name
    assert (out / "openscf.db").exists() and (out / "report.html").exists()
    assert json.loads((out / "summary.json").read_text())["rows"] == summary["rows"]


def test_simulate_prints_a_summary_table_without_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--firms", "40", "--months", "1", "--out",
                                 str(tmp_path / "run"), "--no-verify"])
    assert result.exit_code == 0, result.output
    assert "platform commands" in result.output and "report.html" in result.output


def test_simulate_refuses_an_economy_too_small_to_exist(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--firms", "5", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert not (tmp_path / "x").exists()


def test_every_simulate_option_has_help() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    for option in ("--firms", "--months", "--seed", "--out", "--tiers", "--adoption",
                   "--fraud", "--run-off", "--batch-size", "--verify", "--json"):
        assert option in result.output, option
