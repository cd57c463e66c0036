"""The one settings object: every OPENSCF_* name openscf reads is a setting, read through
`openscf.settings`; unknown names and malformed values stop with one line naming them; a
file is read and the environment wins over it; secrets never show."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openscf.cli import app
from openscf.settings import FIELDS, NOT_SETTINGS, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()
KEY = base64.b64encode(bytes(range(32))).decode()


def _sources() -> list[Path]:
    return sorted((REPO / "openscf").rglob("*.py"))


def test_every_openscf_variable_named_in_the_code_is_a_documented_setting() -> None:
    named = set()
    for path in _sources():
        named |= set(re.findall(r"\bOPENSCF_[A-Z_]+[A-Z]\b", path.read_text()))
    known = {f.variable for f in FIELDS} | set(NOT_SETTINGS) | {"OPENSCF_CONFIG"}
    assert named - known == set()
    table = (REPO / "docs" / "operations.md").read_text()
    for variable in {f.variable for f in FIELDS} | {"OPENSCF_CONFIG"}:
        assert f"`{variable}`" in table, f"{variable} missing from docs/operations.md"


# os.environ.get(...), os.getenv(...), os.environ["X"] not followed by an assignment.
READS = re.compile(r"os\.environ\.get|os\.getenv|os\.environ\[[^\]]+\](?!\s*=[^=])")


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = [
        path.relative_to(REPO).as_posix()
        for path in _sources()
        if path.name != "settings.py" and READS.search(path.read_text())
    ]
    assert readers == []


def test_the_environment_wins_over_the_file_and_the_file_over_the_default(
    tmp_path: Path,
) -> None:
    file = tmp_path / "openscf.toml"
    file.write_text('port = 9001\nlog_format = "json"\nsecure_cookies = false\n')
    settings = load_settings({"OPENSCF_CONFIG": str(file), "OPENSCF_PORT": "9002"})
    assert settings.port == 9002 and settings.source("port") == "environment"
    assert settings.log_format == "json" and settings.source("log_format") == str(file)
    assert settings.secure_cookies is False
    assert (
        settings.header_timeout_seconds == 10.0
        and settings.source("header_timeout_seconds") == "default"
    )


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OPENSCF_PROT": "8000"}, "OPENSCF_PROT"),
        ({"OPENSCF_PORT": "80000"}, "OPENSCF_PORT"),
        ({"OPENSCF_SECURE_COOKIES": "maybe"}, "OPENSCF_SECURE_COOKIES"),
        ({"OPENSCF_BODY_TIMEOUT_SECONDS": "-1"}, "OPENSCF_BODY_TIMEOUT_SECONDS"),
        ({"OPENSCF_CLOCK_START": "2026-06-01T09:00"}, "OPENSCF_CLOCK_START"),
        ({"OPENSCF_LOG_FORMAT": "xml"}, "OPENSCF_LOG_FORMAT"),
        ({"OPENSCF_MASTER_KEY": "c2hvcnQ="}, "OPENSCF_MASTER_KEY"),
    ],
)
def test_an_unknown_or_malformed_setting_is_refused_in_one_line_naming_it(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(environ)
    assert named in raised.value.message and "\n" not in raised.value.message
    assert raised.value.code == "invalid_setting"


def test_a_malformed_master_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"OPENSCF_MASTER_KEY": "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbm90LTMyLWJ5dGVz"})
    assert "c2VjcmV0" not in raised.value.message


def test_an_unknown_key_in_the_file_is_refused_naming_it(tmp_path: Path) -> None:
    file = tmp_path / "openscf.toml"
    file.write_text("prot = 8000\n")
    with pytest.raises(SettingsError, match="'prot'"):
        load_settings({"OPENSCF_CONFIG": str(file)})
    file.write_text("port = [\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings({"OPENSCF_CONFIG": str(file)})


def test_the_test_suites_own_variables_are_accepted_and_ignored() -> None:
    settings = load_settings(dict.fromkeys(NOT_SETTINGS, "x"))
    assert settings.sources == ()


def test_config_show_prints_effective_settings_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for variable in [f.variable for f in FIELDS]:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OPENSCF_MASTER_KEY", KEY)
    monkeypatch.setenv("OPENSCF_DATABASE_URL", "postgresql://app:pw-s3cret@db:5432/scf")
    file = tmp_path / "openscf.toml"
    file.write_text("port = 9100\n")
    result = runner.invoke(app, ["--config", str(file), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    monkeypatch.delenv("OPENSCF_CONFIG", raising=False)
    assert KEY not in result.output and "pw-s3cret" not in result.output
    shown = {row["name"]: row for row in json.loads(result.stdout)["settings"]}
    assert shown["OPENSCF_MASTER_KEY"]["value"] == "***"
    assert shown["OPENSCF_DATABASE_URL"]["value"] == "postgresql://app:***@db:5432/scf"
    assert shown["OPENSCF_PORT"] == {"name": "OPENSCF_PORT", "value": "9100", "source": str(file)}
    assert repr(load_settings()).count("***") == 2


def test_any_command_stops_on_a_bad_setting_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSCF_HEADER_TIMEOUT_SECONDS", "ten")
    for args in (["config", "show"], ["db", "current"], ["serve"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "OPENSCF_HEADER_TIMEOUT_SECONDS" in lines[0], lines


def test_serve_hands_the_log_format_to_the_server_and_refuses_an_unknown_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given: list[dict[str, object]] = []
    monkeypatch.setattr("openscf.cli.serve._run", lambda *a, **k: given.append(k))
    db = str(tmp_path / "s.db")
    result = runner.invoke(app, ["serve", "--db", db, "--log-format", "json"])
    assert result.exit_code == 0, result.output
    assert given[0]["log_format"] == "json"
    refused = runner.invoke(app, ["serve", "--db", db, "--log-format", "xml"])
    assert refused.exit_code == 2 and "--log-format" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
