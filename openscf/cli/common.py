"""What every `openscf` command shares: the --db and --json options, the error exit, opening
a database (never creating one by accident), and the one place that turns any error into
one line a person can act on.

Exit codes: 0 done; 1 checked and found bad (an invalid invoice, a failed audit, an import
with errors); 2 a mistake to correct (bad input, no database, a refusal), or an internal
error. Errors are one line on stderr (or one JSON object on stdout with --json), never a
traceback: a caller's error of the one tree (`openscf.errors`) says what to correct; an
error on the system's side (the log's integrity, a bug) says what failed, and shows its
traceback only with OPENSCF_DEBUG=1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from openscf.documents.errors import DocumentError
from openscf.domain.errors import OpenSCFError
from openscf.settings import SettingsError, load_settings
from openscf.store import database_url, is_initialised, make_engine

__all__ = [
    "EXIT_FOUND_BAD",
    "EXIT_MISTAKE",
    "DbOption",
    "JsonOption",
    "OpenSCFGroup",
    "check_choice",
    "connect_database",
    "describe_error",
    "fail",
    "open_database",
    "plain_console",
    "print_error",
    "show_url",
]

EXIT_FOUND_BAD = 1
EXIT_MISTAKE = 2

# Data is printed as data: no console of the CLI interprets `[...]` in what it prints as
# rich markup (file names, locations and messages contain brackets). Style with Text.
_err = Console(stderr=True, markup=False, highlight=False)


def plain_console(*, stderr: bool = False) -> Console:
    """A console that prints strings exactly as given (no markup, no highlighting)."""
    return Console(stderr=stderr, markup=False, highlight=False)


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite file path or database URL (default: "
        "$OPENSCF_DATABASE_URL, else ./openscf.db).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]

_SUPPORTED = ("sqlite", "postgresql")


def _one_line(message: str, limit: int = 400) -> str:
    line = re.sub(r"\s+", " ", message).strip()
    return line if len(line) <= limit else line[: limit - 3] + "..."


def print_error(code: str, message: str, as_json: bool = False) -> None:
    message = _one_line(message)
    if as_json:
        print(json.dumps({"error": {"code": code, "message": message}}))
    else:
        _err.print(Text.assemble(("error", "bold red"), f" ({code}): {message}"), soft_wrap=True)


def fail(code: str, message: str, as_json: bool = False, exit_code: int = EXIT_MISTAKE) -> NoReturn:
    """Print the error as one line (one JSON object for scripts) and exit (2: a mistake to
    correct; 1 only for 'checked and found bad')."""
    print_error(code, message, as_json)
    raise typer.Exit(exit_code)


def check_choice(
    option: str, value: str | None, allowed: tuple[str, ...], as_json: bool = False
) -> None:
    """Refuse a filter value that can match nothing, listing the ones that can."""
    if value is not None and value not in allowed:
        fail("unknown_value", f"{option} {value!r} is not one of {', '.join(allowed)}", as_json)


def show_url(url: str) -> str:
    """A database URL as it may be printed: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _reason(exc: BaseException) -> str:
    """The driver's own words, first, without SQLAlchemy's boilerplate."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    text = text.split("(Background on this error")[0]
    return _one_line(text, 200)


def connect_database(db: str | None, *, create: bool = False, as_json: bool = False) -> Engine:
    """An engine on the database named by --db / $OPENSCF_DATABASE_URL that answered a
    connection; otherwise one line saying what is wrong and what to do, exit 2. With
    create=False a missing SQLite file is an error rather than a new empty database."""
    from_env = not db and bool(load_settings().database_url)
    where = "OPENSCF_DATABASE_URL" if from_env else "--db"
    url = database_url(db)
    try:
        parsed = make_url(url)
    except ArgumentError:
        masked = re.sub(r"(//[^/@:]*:)[^@/]*@", r"\1***@", url)
        fail(
            "invalid_database_url",
            f"{where} {masked!r} is not a database URL; give a SQLite "
            "file path with --db, or a URL such as sqlite:///openscf.db or "
            "postgresql://user@host:5432/name",
            as_json,
        )
    backend = parsed.get_backend_name()
    shown = show_url(url)
    if backend not in _SUPPORTED:
        fail(
            "unsupported_database",
            f"{where} {shown!r}: {backend!r} databases are not "
            "supported; use a SQLite file path or a postgresql:// URL",
            as_json,
        )
    if backend == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or parsed.database == ":memory:":
            fail(
                "invalid_database_url",
                f"{where} {shown!r} names no database file; give a file path",
                as_json,
            )
        if path.is_dir():
            fail(
                "database_is_directory",
                f"{path} is a directory, not a database file; "
                "give a file path such as " + str(path / "openscf.db"),
                as_json,
            )
        if not path.exists() and not create:
            fail(
                "no_database",
                f"no database at {path}; run `openscf demo --db {path}` "
                "first, or give the right --db",
                as_json,
            )
        if create and not path.parent.is_dir():
            fail(
                "no_such_directory",
                f"cannot create {path}: the folder {path.parent} does not exist",
                as_json,
            )
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
    except (SQLAlchemyError, ImportError) as exc:
        hint = (
            "give the path of an openscf database file"
            if backend == "sqlite"
            else "is the server running, does the database exist?"
        )
        fail(
            "database_unreachable",
            f"cannot open the database {shown}: {_reason(exc)}; check {where} ({hint})",
            as_json,
        )
    return engine


def open_database(db: str | None, *, as_json: bool = False) -> Engine:
    """An engine on an existing openscf database; a clear error otherwise."""
    engine = connect_database(db, as_json=as_json)
    try:
        initialised = is_initialised(engine)
    except SQLAlchemyError as exc:
        fail(
            "database_unreachable",
            f"cannot read {show_url(database_url(db))}: {_reason(exc)}",
            as_json,
        )
    if not initialised:
        fail(
            "not_initialised",
            f"{show_url(database_url(db))} is not an openscf database "
            "(no log); run `openscf demo` or `openscf serve` on it first",
            as_json,
        )
    return engine


# --- the one error handler --------------------------------------------------------------


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(code, one-line message) for any exception a command lets escape."""
    if isinstance(exc, DocumentError):
        where = f" ({exc.location})" if exc.location else ""
        return exc.code, exc.message + where
    if isinstance(exc, OpenSCFError):  # the one tree (openscf.errors), trust's errors too
        return exc.code, exc.message
    if isinstance(exc, SQLAlchemyError):
        return "database_error", (
            f"the database refused: {_reason(exc)}; check --db / OPENSCF_DATABASE_URL"
        )
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return "io_error", f"{exc.strerror}: {exc.filename}"
    if isinstance(exc, OSError):
        return "io_error", str(exc)
    return "internal_error", (
        f"internal error: {type(exc).__name__}: {exc} (run with OPENSCF_DEBUG=1 for the traceback)"
    )


def _debug() -> bool:
    """OPENSCF_DEBUG, and False when the settings themselves are what failed."""
    try:
        return load_settings().debug
    except SettingsError:
        return False


def _callers(exc: BaseException) -> bool:
    """Whether the error is the caller's to correct (a 4xx in `openscf.errors`)."""
    return isinstance(exc, OpenSCFError) and exc.fault == "caller"


@contextmanager
def errors_as_one_line(as_json: bool, command_path: str = "openscf") -> Iterator[None]:
    """Let exits and help through; turn every other error into one line and exit 2."""
    try:
        yield
    except (typer.Exit, typer.Abort, click_exceptions.NoArgsIsHelpError):
        raise
    except click_exceptions.ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        path = ctx.command_path if ctx is not None else command_path
        print_error("usage", f"{exc.format_message()} (see `{path} --help`)", as_json)
        raise typer.Exit(EXIT_MISTAKE) from None
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:
        # A refusal is the person's to correct: never a traceback. Anything on the system's
        # side (a bug, the log's integrity) shows its traceback only when asked.
        if _debug() and not _callers(exc):
            raise
        code, message = describe_error(exc)
        print_error(code, message, as_json)
        raise typer.Exit(EXIT_MISTAKE) from None


class OpenSCFGroup(TyperGroup):
    """The root `openscf` group: every command runs inside `errors_as_one_line`."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        as_json = "--json" in args
        with errors_as_one_line(as_json, info_name or "openscf"):
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta["openscf.json"] = as_json
        return ctx

    def invoke(self, ctx: Any) -> Any:
        as_json = bool(ctx.meta.get("openscf.json"))
        with errors_as_one_line(as_json, ctx.command_path):
            return super().invoke(ctx)
