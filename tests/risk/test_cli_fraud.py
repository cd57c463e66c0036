from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openscf.cli import app
from openscf.risk.fraud import detect_fraud

runner = CliRunner()


def test_risk_fraud_lists_every_flag_with_its_evidence_as_json(economy: Path) -> None:
    result = runner.invoke(app, ["risk", "fraud", "--data", str(economy), "--json"])
    assert result.exit_code == 0, result.output
    flags = json.loads(result.output)["flags"]
    assert len(flags) == len(detect_fraud(economy))
    assert {f["kind"] for f in flags} >= {"duplicate_invoice", "circular_trading"}
    assert all(f["evidence"] and f["summary"] for f in flags)


def test_risk_fraud_as_of_a_day_shows_only_flags_known_by_then(economy: Path) -> None:
    everything = detect_fraud(economy)
    day = sorted(f.flagged_on for f in everything)[len(everything) // 2]
    result = runner.invoke(
        app, ["risk", "fraud", "--data", str(economy), "--as-of", day.isoformat(), "--json"]
    )
    assert result.exit_code == 0, result.output
    flags = json.loads(result.output)["flags"]
    assert 0 < len(flags) < len(everything)
    assert max(f["flagged_on"] for f in flags) <= day.isoformat()


def test_risk_fraud_in_words_names_the_kind_and_why(economy: Path) -> None:
    result = runner.invoke(
        app, ["risk", "fraud", "--data", str(economy), "--kind", "duplicate_invoice"]
    )
    assert result.exit_code == 0, result.output
    assert "duplicate_invoice" in result.output and "repeats invoice" in result.output
    assert "circular_trading" not in result.output


def test_risk_fraud_refuses_a_missing_directory_or_a_bad_date_in_one_line(
    tmp_path: Path, economy: Path
) -> None:
    missing = runner.invoke(app, ["risk", "fraud", "--data", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "trade_data_missing" in missing.output and "Traceback" not in missing.output
    bad = runner.invoke(app, ["risk", "fraud", "--data", str(economy), "--as-of", "June"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    empty = runner.invoke(app, ["risk", "fraud", "--data", str(tmp_path)])
    assert empty.exit_code == 2 and "firms.parquet does not exist" in empty.output
