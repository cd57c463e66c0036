"""One settings object for a deployment, read from the environment and an optional file.

Every knob openscf reads at run time is a field of `Settings`, named `OPENSCF_<FIELD>` in
the environment and `<field>` in the optional TOML file (`OPENSCF_CONFIG`, or
`openscf --config FILE`). The environment wins over the file, the file over the default.
`docs/operations.md` has the one table of them (a test holds the table to `FIELDS`);
`openscf config show` prints the effective values with secrets masked.

Strict on purpose: an `OPENSCF_*` variable or a file key that names no setting, or a
value that does not parse, raises `SettingsError` with one line naming it, so a typo
stops the start instead of being silently ignored. A few `OPENSCF_*` names belong to the
test suite and the benchmarks (`NOT_SETTINGS`); they are accepted and never read here.

May import: the standard library and `openscf.errors` only (every layer reads it).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from openscf.errors import InvalidRequest

__all__ = [
    "FIELDS",
    "NOT_SETTINGS",
    "PREFIX",
    "Field",
    "Settings",
    "SettingsError",
    "load_settings",
    "masked",
]

PREFIX = "OPENSCF_"
CONFIG_VARIABLE = "OPENSCF_CONFIG"

# Read by the test suite and the benchmarks, never by openscf itself.
NOT_SETTINGS: dict[str, str] = {
    "OPENSCF_TEST_DATABASE_URL": "tests: the PostgreSQL database the tests may use",
    "OPENSCF_CONFORMANCE_DIR": "tests and benchmarks: another copy of tests/conformance",
    "OPENSCF_RULES_FROM": "tests: where to install the official validation rules from",
    "OPENSCF_REQUIRE_OFFICIAL_RULES": "tests (CI): fail rather than skip without the rules",
}


class SettingsError(InvalidRequest):
    """The caller's (the operator's): a setting that names nothing or does not parse."""

    code = "invalid_setting"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(type(self).code, message, param)


# --- parsers: text -> value, raising ValueError with what is expected ----------------------

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected 1 or 0 (true/false, yes/no, on/off)")


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("expected a number of seconds") from None
        if not low < value <= high:
            raise ValueError(f"expected a number of seconds above {low:g} and at most {high:g}")
        return value

    return parse


def _port(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", text.strip()) or not 1 <= int(text) <= 65535:
        raise ValueError("expected a TCP port between 1 and 65535")
    return int(text)


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return value

    return parse


def _instant(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("expected an RFC 3339 instant such as 2026-06-01T09:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("expected an RFC 3339 instant with a zone, e.g. 2026-06-01T09:00:00Z")
    return text.strip()


def _text(text: str) -> str:
    return text


def _master_key(text: str) -> str:
    import base64
    import binascii

    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        raise ValueError("expected base64 of 32 bytes (e.g. `head -c32 /dev/urandom | base64`)")
    return text.strip()


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    secret: bool = False

    @property
    def variable(self) -> str:
        return PREFIX + self.name.upper()


FIELDS: tuple[Field, ...] = (
    Field(
        "database_url",
        _text,
        None,
        "The database: a SQLite file path or URL, or postgresql://user@host:5432/name "
        "(default ./openscf.db). `--db` wins. Its password is masked when shown.",
        secret=True,
    ),
    Field(
        "master_key",
        _master_key,
        None,
        "Base64 of the 32-byte key that seals custodial signing keys (and the log's key). "
        "Unset: a key file next to a SQLite database (DB.key), else DATA_DIR/master.key.",
        secret=True,
    ),
    Field(
        "data_dir",
        _text,
        None,
        "Where openscf keeps its files (installed validation rules; the master key file "
        "of a PostgreSQL deployment). Default ~/.local/share/openscf.",
    ),
    Field("host", _text, "127.0.0.1", "Interface `openscf serve` listens on (`--host` wins)."),
    Field("port", _port, 8000, "TCP port `openscf serve` listens on (`--port` wins)."),
    Field(
        "secure_cookies",
        _bool,
        True,
        "0: session cookies without the Secure flag (plain HTTP on a host other than "
        "localhost; never in production). `--insecure-cookies` sets it to 0.",
    ),
    Field(
        "docs",
        _bool,
        False,
        "1: serve the Swagger UI at /v1/docs (needs openscf[docs]). `--docs` sets it.",
    ),
    Field(
        "clock_start",
        _instant,
        None,
        "An RFC 3339 instant where the server's clock starts (demos, benchmarks, browser "
        "tests); unset: the system clock. `--clock-start` sets it.",
    ),
    Field(
        "body_timeout_seconds",
        _seconds(0, 3600),
        30.0,
        "A request's body must arrive whole within this many seconds, else 408.",
    ),
    Field(
        "header_timeout_seconds",
        _seconds(0, 3600),
        10.0,
        "A connection must send a request's headers within this many seconds of opening "
        "or of its previous response, else it is closed.",
    ),
    Field(
        "log_format",
        _choice("text", "json"),
        "text",
        "text: lines for a person; json: one JSON object per line (time, level, request "
        "id, organisation, user, route, status, duration). `--log-format` wins.",
    ),
    Field(
        "log_level",
        _choice("debug", "info", "warning", "error"),
        "info",
        "The least severe log record written.",
    ),
    Field(
        "debug",
        _bool,
        False,
        "1: a command that fails on the system's side shows its traceback.",
    ),
    Field(
        "ready_checkpoint_max_age_seconds",
        _seconds(0, 7 * 24 * 3600),
        300.0,
        "GET /v1/ready fails when the log has events no signed checkpoint covers and the "
        "latest checkpoint is older than this.",
    ),
    Field(
        "ready_writer_stuck_seconds",
        _seconds(0, 3600),
        30.0,
        "GET /v1/ready fails when the writer has run one batch of commands for longer than this.",
    ),
)

_BY_NAME = {f.name: f for f in FIELDS}
_BY_VARIABLE = {f.variable: f for f in FIELDS}


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective settings (see `FIELDS` for what each means)."""

    database_url: str | None = None
    master_key: str | None = None
    data_dir: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = True
    docs: bool = False
    clock_start: str | None = None
    body_timeout_seconds: float = 30.0
    header_timeout_seconds: float = 10.0
    log_format: str = "text"
    log_level: str = "info"
    debug: bool = False
    ready_checkpoint_max_age_seconds: float = 300.0
    ready_writer_stuck_seconds: float = 30.0
    # Where each value came from: "default", "environment" or the file's path.
    sources: tuple[tuple[str, str], ...] = ()
    config_file: str | None = None

    def __repr__(self) -> str:  # never print a secret by accident
        shown = ", ".join(f"{f.name}={masked(f, getattr(self, f.name))!r}" for f in FIELDS)
        return f"Settings({shown})"

    def source(self, name: str) -> str:
        return dict(self.sources).get(name, "default")

    def shown(self) -> list[tuple[str, str, str, str]]:
        """(variable, value with secrets masked, source, help) per setting."""
        return [
            (f.variable, masked(f, getattr(self, f.name)), self.source(f.name), f.help)
            for f in FIELDS
        ]


def masked(field: Field, value: Any) -> str:
    """A value as it may be printed: secrets never, a database URL without its password."""
    if value is None:
        return ""
    if field.name == "database_url":
        return re.sub(r"(//[^/@:]*:)[^@/]*@", r"\1***@", str(value))
    if field.secret:
        return "***"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _parse(field: Field, raw: Any, where: str) -> Any:
    if isinstance(raw, bool) and field.parse is _bool:
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise SettingsError(f"{where}: expected a string or number", field.variable)
    try:
        return field.parse(raw)
    except ValueError as exc:
        message = f"{where}={_quoted(field, raw)} is not valid: {exc}"
        raise SettingsError(message, field.variable) from None


def _quoted(field: Field, raw: str) -> str:
    return "'***'" if field.secret and field.name != "database_url" else repr(masked(field, raw))


def _read_file(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(
            f"cannot read the settings file {path}: {exc.strerror or exc}; "
            f"check {CONFIG_VARIABLE} or --config",
            CONFIG_VARIABLE,
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(
            f"the settings file {path} is not valid TOML: {exc}", CONFIG_VARIABLE
        ) from None
    return data


def load_settings(
    environ: Mapping[str, str] | None = None, *, config_file: str | None = None
) -> Settings:
    """The settings from `environ` (default: the process's) and the TOML file it names in
    OPENSCF_CONFIG (or `config_file`); `SettingsError` (one line) on an unknown name or a
    malformed value. An empty variable counts as unset."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = config_file or env.get(CONFIG_VARIABLE) or None
    if path:
        for key, raw in _read_file(path).items():
            found = _BY_NAME.get(key)
            if found is None:
                raise SettingsError(
                    f"the settings file {path} names an unknown setting {key!r}; "
                    f"known: {', '.join(_BY_NAME)}",
                    key,
                )
            values[key] = _parse(found, raw, f"{key} in {path}")
            sources[key] = path
    for variable in sorted(env):
        if not variable.startswith(PREFIX) or variable == CONFIG_VARIABLE:
            continue
        if variable in NOT_SETTINGS:
            continue
        found = _BY_VARIABLE.get(variable)
        if found is None:
            raise SettingsError(
                f"unknown setting {variable} in the environment; unset it or see "
                "`openscf config show` for the settings that exist",
                variable,
            )
        raw = env[variable]
        if raw == "":
            continue
        values[found.name] = _parse(found, raw, variable)
        sources[found.name] = "environment"
    known = {f.name for f in fields(Settings)}
    assert set(_BY_NAME) <= known
    return Settings(**values, sources=tuple(sorted(sources.items())), config_file=path)
