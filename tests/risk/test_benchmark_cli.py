"""`openscf risk benchmark` on the German credit data of the corpus, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openscf.cli import app

from .modeldata import german_csv

runner = CliRunner()


def test_the_benchmark_on_german_credit_beats_a_stated_floor() -> None:
    # One repeat of 3 folds keeps the test fast; the full 3 x 5 runs in bench/risk.py.
    result = runner.invoke(
        app,
        [
            "risk",
            "benchmark",
            "--csv",
            str(german_csv()),
            "--target",
            "creditability",
            "--folds",
            "3",
            "--repeats",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["rows"], out["events"], out["event"]) == (1000, 300, "bad")
    assert len(out["categorical"]) == 13 and len(out["numerical"]) == 7
    for kind in ("scorecard", "lightgbm"):
        auc = out["models"][kind]["auc"]
        assert auc["low"] <= auc["point"] <= auc["high"]
        assert auc["low"] > 0.70, (kind, auc)
        assert len(out["models"][kind]["fold_aucs"]) == 3


def _refusal(args: list[str]) -> dict[str, str]:
    result = runner.invoke(app, ["risk", "benchmark", *args, "--json"])
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    return json.loads(line)["error"]


def test_a_missing_target_column_is_refused_in_one_line() -> None:
    error = _refusal(["--csv", str(german_csv()), "--target", "repaid"])
    assert error["code"] == "invalid_dataset"
    assert "no column 'repaid'" in error["message"]


def test_a_target_with_three_classes_is_refused(tmp_path: Path) -> None:
    csv = tmp_path / "three.csv"
    csv.write_text("x,y\n1,a\n2,b\n3,c\n4,a\n")
    error = _refusal(["--csv", str(csv), "--target", "y"])
    assert "3 classes" in error["message"]


def test_a_target_with_one_class_is_refused(tmp_path: Path) -> None:
    csv = tmp_path / "one.csv"
    csv.write_text("x,y\n1,a\n2,a\n")
    assert "1 classes" in _refusal(["--csv", str(csv), "--target", "y"])["message"]


def test_a_file_that_is_not_there_or_not_a_csv_is_refused(tmp_path: Path) -> None:
    assert _refusal(["--csv", str(tmp_path / "nope.csv"), "--target", "y"])["code"] == (
        "invalid_dataset"
    )
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x00garbage\x00")
    assert _refusal(["--csv", str(tmp_path / "bin.csv"), "--target", "y"])["code"] == (
        "invalid_dataset"
    )


def test_any_two_labels_work_and_the_text_output_names_both_models(tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    colour = rng.choice(["red", "blue"], 300)
    label = np.where(x + rng.normal(scale=0.5, size=300) > 0.8, "late", "paid")
    csv = tmp_path / "book.csv"
    csv.write_text(
        "x,colour,outcome\n"
        + "".join(f"{a},{b},{c}\n" for a, b, c in zip(x, colour, label, strict=True))
    )
    result = runner.invoke(
        app,
        [
            "risk",
            "benchmark",
            "--csv",
            str(csv),
            "--target",
            "outcome",
            "--folds",
            "3",
            "--repeats",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "scorecard (champion)" in result.output and "lightgbm (challenger)" in result.output
    assert "'late'" in result.output
