"""`openscf risk train | score | report`: the champion and the challenger from simulated
exports, scores per supplier that are the ledger scorer's decisions, a self-contained HTML
report, and one-line refusals (missing data, an as-of in the future of the data, a model
that does not hash to its record).

Training needs defaults on both sides of the calibration holdout, which the session's
small economy does not have: one larger economy (120 firms, 7 months) is simulated and
trained on once for this module (about a minute and a half of CPU)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openscf.cli import app
from openscf.risk.model_scorer import KIND
from openscf.risk.models import content_hash
from openscf.risk.scoring import features_text, score
from openscf.sim.config import SimConfig
from openscf.sim.run import simulate
from openscf.trust.canonical import decode_canonical

runner = CliRunner()
TRAINABLE = SimConfig(firms=120, months=7, seed=7, fraud=2.0, anchor_lateness=4.0)


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    base = tmp_path_factory.mktemp("risk-train")
    simulate(TRAINABLE, base / "sim")
    result = runner.invoke(
        app,
        ["risk", "train", "--data", str(base / "sim"), "--out", str(base / "models"), "--json"],
    )
    assert result.exit_code == 0, result.output
    return base, json.loads(result.output)


def test_help_names_each_commands_options() -> None:
    for command, options in (
        ("train", ("--data", "--out", "--target")),
        ("score", ("--data", "--model", "--as-of", "--json")),
        ("report", ("--data", "--model", "--out")),
    ):
        result = runner.invoke(app, ["risk", command, "--help"])
        assert result.exit_code == 0
        for option in options:
            assert option in result.output


def test_train_writes_champion_and_challenger_with_records_and_cards(trained) -> None:
    base, out = trained
    models = out["models"]
    assert [m["role"] for m in models] == ["champion", "challenger"]
    assert [m["kind"] for m in models] == ["scorecard", "lightgbm"]
    for m in models:
        artefact = (base / "models" / f"{m['model_id']}.model.json").read_bytes()
        assert content_hash(artefact) == m["sha256"]
        card = json.loads((base / "models" / f"{m['model_id']}.card.json").read_text())
        assert card["sha256"] == m["sha256"] and card["metrics"]["in_sample"]["auc"]["point"] > 0.5
        assert (base / "models" / f"{m['model_id']}.card.md").exists()


def test_scores_are_what_the_ledger_scorer_recomputes_from_the_feature_vector(trained) -> None:
    base, out = trained
    for m in out["models"]:
        path = base / "models" / f"{m['model_id']}.model.json"
        result = runner.invoke(
            app,
            [
                "risk",
                "score",
                "--data",
                str(base / "sim"),
                "--model",
                str(path),
                "--as-of",
                "2026-05-31",
                "--json",
            ],
        )
        assert result.exit_code == 0, result.output
        rows = json.loads(result.output)["rows"]
        assert len({r["org_id"] for r in rows}) == len(rows) > 50
        assert len({r["grade"] for r in rows}) > 1
        artefact = path.read_bytes()
        for r in rows[:20]:
            vector = decode_canonical(features_text(r["features"]).encode())
            again = score(KIND, artefact, vector)
            assert again == {k: r[k] for k in again}


def test_the_report_is_one_html_file_with_roc_calibration_grades_and_psi(
    trained, tmp_path: Path
) -> None:
    base, out = trained
    champion = out["models"][0]
    path = base / "models" / f"{champion['model_id']}.model.json"
    result = runner.invoke(
        app,
        [
            "risk",
            "report",
            "--data",
            str(base / "sim"),
            "--model",
            str(path),
            "--out",
            str(tmp_path / "r.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r.html").read_text()
    for heading in ("ROC", "Calibration", "Grades", "Stability (PSI)", "Fraud detection"):
        assert f"<h2>{heading}</h2>" in text
    assert "<svg" in text and "<polyline" in text
    # Self-contained: nothing fetched from elsewhere.
    assert not re.search(r"(src|href)=|https?://(?!www\.w3\.org/2000/svg)", text)


def test_a_missing_data_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["risk", "train", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 2 and "missing_data" in _one_line(result.output)


def test_too_little_data_to_train_is_refused_in_one_line(
    small_economy: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["risk", "train", "--data", str(small_economy), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 2
    assert re.search(r"not_trainable|no_defaults", _one_line(result.output))


def test_an_as_of_in_the_future_of_the_data_is_refused_in_one_line(trained) -> None:
    base, out = trained
    path = base / "models" / f"{out['models'][0]['model_id']}.model.json"
    result = runner.invoke(
        app,
        [
            "risk",
            "score",
            "--data",
            str(base / "sim"),
            "--model",
            str(path),
            "--as-of",
            "2031-01-01",
        ],
    )
    assert result.exit_code == 2 and "as_of_in_future" in _one_line(result.output)


def test_a_model_that_does_not_hash_to_its_record_is_refused_in_one_line(
    trained, tmp_path: Path
) -> None:
    base, out = trained
    model_id = out["models"][0]["model_id"]
    forged = tmp_path / f"{model_id}.model.json"
    forged.write_bytes((base / "models" / f"{model_id}.model.json").read_bytes() + b" ")
    (tmp_path / f"{model_id}.record.json").write_text(
        (base / "models" / f"{model_id}.record.json").read_text()
    )
    for command in (["score", "--as-of", "2026-05-31"], ["report", "--out", "x.html"]):
        result = runner.invoke(
            app,
            ["risk", command[0], "--data", str(base / "sim"), "--model", str(forged), *command[1:]],
        )
        assert result.exit_code == 2 and "model_artefact_rejected" in _one_line(result.output)
