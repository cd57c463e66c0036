"""`openscf db current` and `openscf db upgrade`, and `serve` refusing a schema older or
newer than the code, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from typer.testing import CliRunner

import openscf.store
from openscf.cli import app
from openscf.store import code_revision, make_engine, migrate, schema_status

runner = CliRunner()


def previous_revision() -> str:
    scripts = ScriptDirectory(str(Path(openscf.store.__file__).parent / "migrations"))
    down = scripts.get_revision(code_revision()).down_revision
    assert isinstance(down, str)
    return down


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`serve` records the database it would serve instead of serving it."""
    started: list[str] = []
    monkeypatch.setattr("openscf.cli.serve._run", lambda url, *a, **k: started.append(url))
    monkeypatch.delenv("OPENSCF_DATABASE_URL", raising=False)
    return started


def _one_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def _current(db_url: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["db", "current", "--db", db_url, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_an_older_schema_is_refused_by_serve_and_brought_up_by_db_upgrade(
    db_url: str, served: list[str]
) -> None:
    engine = make_engine(db_url)
    migrate(engine, to=previous_revision())
    engine.dispose()
    code, status = _current(db_url)
    assert code == 1 and status["state"] == "behind"
    assert status["revision"] == previous_revision() and status["code_revision"] == code_revision()

    line = _one_line(runner.invoke(app, ["serve", "--db", db_url]))
    assert "schema_mismatch" in line and "openscf db upgrade --db" in line and not served

    upgraded = runner.invoke(app, ["db", "upgrade", "--db", db_url])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"upgraded from {previous_revision()} to {code_revision()}" in upgraded.output
    assert _current(db_url) == (0, {**status, "state": "current", "revision": code_revision()})
    again = runner.invoke(app, ["db", "upgrade", "--db", db_url])
    assert again.exit_code == 0 and "already current" in again.output

    result = runner.invoke(app, ["serve", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert len(served) == 1


def test_a_newer_schema_is_never_downgraded(db_url: str, served: list[str]) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    code, status = _current(db_url)
    assert code == 1 and status["state"] == "ahead" and status["revision"] == "9999_future"
    for args in (["serve"], ["db", "upgrade"]):
        line = _one_line(runner.invoke(app, [*args, "--db", db_url]))
        assert "9999_future" in line and "never downgrades" in line
    assert not served
    assert schema_status(engine).database == "9999_future"  # untouched
    engine.dispose()


def test_serve_creates_the_schema_of_an_empty_database(db_url: str, served: list[str]) -> None:
    engine = make_engine(db_url)
    assert schema_status(engine).state == "empty"
    code, status = _current(db_url)
    assert code == 1 and status["state"] == "empty" and status["revision"] is None
    result = runner.invoke(app, ["serve", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "operator admin API key" in result.output and len(served) == 1
    assert schema_status(engine).current
    engine.dispose()


def test_db_current_says_in_words_where_the_schema_stands(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    engine.dispose()
    result = runner.invoke(app, ["db", "current", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert (
        f"schema revision: {code_revision()}" in result.output and "state: current" in result.output
    )
