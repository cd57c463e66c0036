"""`openscf risk features`: the table to Parquet or JSON, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from openscf.cli import app
from openscf.risk import FEATURE_NAMES

from .ledger import S1, D, write_ledger

runner = CliRunner()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ledger(tmp_path_factory.mktemp("ledger"))


def test_help_names_the_options_and_the_group_has_room_for_more_commands() -> None:
    result = runner.invoke(app, ["risk", "--help"])
    assert result.exit_code == 0 and "features" in result.output
    result = runner.invoke(app, ["risk", "features", "--help"])
    assert result.exit_code == 0
    for option in ("--data", "--as-of", "--out", "--json", "--engine"):
        assert option in result.output


def test_features_are_written_to_parquet(ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    result = runner.invoke(
        app,
        ["risk", "features", "--data", str(ledger), "--as-of", D.isoformat(), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "3 suppliers" in result.output
    table = pd.read_parquet(out)
    assert list(table.columns) == ["org_id", "as_of", *FEATURE_NAMES]
    assert table.set_index("org_id").loc[S1, "sales_30d_minor"] == 100_000


def test_json_holds_one_row_per_supplier_with_missing_values_as_null(ledger: Path) -> None:
    result = runner.invoke(
        app, ["risk", "features", "--data", str(ledger), "--as-of", D.isoformat(), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["as_of"] == D.isoformat() and data["organisations"] == 3
    rows = {r["org_id"]: r for r in data["rows"]}
    assert rows[S1]["late_delivery_share_90d"] == 0.25
    assert rows[S1]["suppliers_late_pay_share"] is None  # NaN: its supplier owes no one


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--as-of", "2031-01-01"], "as_of_in_future", "after the last day of the data"),
        (["--as-of", "30/06/2026"], "invalid_date", "YYYY-MM-DD"),
        (["--as-of", "2026-06-30", "--engine", "oracle"], "unknown_value", "duckdb"),
        (["--as-of", "2026-06-30", "--out", "x.csv"], "bad_output", ".parquet"),
    ],
)
def test_bad_input_is_refused_in_one_line(
    ledger: Path, args: list[str], code: str, words: str
) -> None:
    result = runner.invoke(app, ["risk", "features", "--data", str(ledger), *args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert code in lines[0] and words in lines[0]


def test_a_missing_table_is_named_in_one_line(tmp_path: Path) -> None:
    data = write_ledger(tmp_path / "d")
    (data / "payments.parquet").unlink()
    result = runner.invoke(app, ["risk", "features", "--data", str(data), "--as-of", "2026-06-30"])
    assert result.exit_code == 2
    assert "missing_table" in result.output and "'payments'" in result.output
    assert "Traceback" not in result.output


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["risk", "features", "--data", str(tmp_path / "none"), "--as-of", "2026-06-30"]
    )
    assert result.exit_code == 2 and "missing_data" in result.output


def test_an_unreachable_database_is_one_line_without_the_password() -> None:
    url = "postgresql://user:s3cret@127.0.0.1:1/nowhere"
    result = runner.invoke(
        app,
        ["risk", "features", "--data", url, "--engine", "postgres", "--as-of", "2026-06-30"],
    )
    assert result.exit_code == 2
    assert "database_unreachable" in result.output and "s3cret" not in result.output
