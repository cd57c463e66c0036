"""`openscf serve`: the REST API and the dashboard over one database.

    openscf serve [--db PATH] [--host 127.0.0.1] [--port 8000] [--log-format text|json]
                  [--workers N]

SIGTERM (or Ctrl-C) shuts down gracefully: the server stops listening, answers every
request it accepted (each command it acknowledged is committed to the log), the
group-commit writer runs what is still queued, and the process exits; after
`--shutdown-timeout` seconds requests still running are cancelled. `--workers N` (N > 1)
needs PostgreSQL: the processes share the database, whose log head row lock orders every
append (see docs/operations.md, "Scaling").

On an empty database it first creates the schema and the operator organisation and prints
the operator admin's API key, once; on a schema older or newer than the code it stops
(`openscf db upgrade`, see openscf.cli.ops). Defaults come from the settings
(openscf.settings); the server exposes /v1/health, /v1/ready and /metrics.
`openscf demo --serve` seeds the demo network, adds an auditor, gives one user per role a
login, password and API key, and serves it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from openscf.app.queries import Database, Ledger
from openscf.cli.common import connect_database, fail, plain_console, show_url
from openscf.cli.ops import upgrade_hint
from openscf.settings import load_settings
from openscf.store import check_schema, migrate, schema_status

__all__ = ["DemoLogin", "seed_demo_logins", "serve", "serve_demo"]

console = plain_console()

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_SHUTDOWN_TIMEOUT = 30.0
WORKER_HEALTHCHECK_SECONDS = 60
AUDITOR_NAME = "Prüfwerk Audit GmbH"


def _run(
    url: str,
    host: str,
    port: int,
    *,
    access_log: bool = True,
    secure_cookies: bool | None = None,
    clock_start: str | None = None,
    workers: int = 1,
    docs: bool | None = None,
    log_format: str | None = None,
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
) -> None:
    """uvicorn with the API's factory, named rather than imported (sibling adapters).
    The factory reads the settings (openscf.settings) in the server's process: what the
    command line says is handed over through the environment, which wins over a settings
    file. Timeouts: idle keep-alive 5 s; a request's headers within 10 s
    (OPENSCF_HEADER_TIMEOUT_SECONDS), its body within 30 s (OPENSCF_BODY_TIMEOUT_SECONDS);
    see openscf.api.server."""
    import inspect

    import uvicorn

    # A worker on a busy machine can take longer than uvicorn's default 5 s to import the
    # app and answer the supervisor's ping; it would then be killed and restarted forever.
    patience: dict[str, Any] = {}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        patience["timeout_worker_healthcheck"] = WORKER_HEALTHCHECK_SECONDS
    from openscf.logs import uvicorn_log_config

    os.environ["OPENSCF_DATABASE_URL"] = url
    if secure_cookies is not None:
        os.environ["OPENSCF_SECURE_COOKIES"] = "1" if secure_cookies else "0"
    if docs is not None:
        os.environ["OPENSCF_DOCS"] = "1" if docs else "0"
    if clock_start:
        os.environ["OPENSCF_CLOCK_START"] = clock_start
    if log_format:
        os.environ["OPENSCF_LOG_FORMAT"] = log_format
    settings = load_settings()
    log_config = uvicorn_log_config(settings.log_format, settings.log_level)
    if not access_log:
        log_config["loggers"]["openscf.api.requests"] = {"level": "WARNING"}
    uvicorn.run(
        "openscf.api.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        # The API logs one line per request (route, status, duration, who) itself.
        access_log=False,
        log_config=log_config,
        log_level=settings.log_level,
        server_header=False,
        workers=workers,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=int(shutdown_timeout),
        http="openscf.api.server:HeaderDeadlineProtocol",
        **patience,
    )


def _bootstrap(engine: Database) -> None:
    """An empty network gets its operator, whose admin's API key is printed once."""
    from openscf.app import NetworkService
    from openscf.app.auth import Authenticator

    if Ledger(engine).log_size() != 0:
        return
    _, user_id = NetworkService(engine).bootstrap_operator()
    key = Authenticator(engine).issue_api_key(user_id, "operator bootstrap")
    console.print(
        Text("new network", style="bold"),
        ": operator admin API key (shown once, store it):",
        sep="",
    )
    print(f"  {key.secret}", flush=True)  # whole: never wrapped by the terminal width


def serve(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="SQLite file path or database URL "
            "(default: $OPENSCF_DATABASE_URL, else "
            "./openscf.db).",
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(help="Interface to listen on (default: $OPENSCF_HOST, else 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="TCP port (default: $OPENSCF_PORT, else 8000)."),
    ] = None,
    access_log: Annotated[
        bool, typer.Option(help="Log one line per request (route, status, duration, caller).")
    ] = True,
    log_format: Annotated[
        str | None,
        typer.Option(
            "--log-format",
            metavar="text|json",
            help="text: lines for a person; json: one JSON object per line "
            "(default: $OPENSCF_LOG_FORMAT, else text).",
        ),
    ] = None,
    insecure_cookies: Annotated[
        bool,
        typer.Option(
            "--insecure-cookies",
            help="Session cookies without the Secure flag (plain HTTP "
            "on a host other than localhost; never in production).",
        ),
    ] = False,
    clock_start: Annotated[
        str | None,
        typer.Option(
            "--clock-start",
            help="Start the server's clock at this RFC 3339 instant (demos, "
            "benchmarks and browser tests that must reach a maturity date).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing one PostgreSQL database (each commits in "
            "groups; the log head's row lock orders them). More than 1 needs PostgreSQL.",
        ),
    ] = 1,
    shutdown_timeout: Annotated[
        float,
        typer.Option(
            "--shutdown-timeout",
            min=1,
            max=3600,
            help="On SIGTERM, seconds to finish the requests already accepted before "
            "cancelling them.",
        ),
    ] = DEFAULT_SHUTDOWN_TIMEOUT,
    docs: Annotated[
        bool,
        typer.Option(
            "--docs",
            help="Serve the Swagger UI at /v1/docs (needs the optional "
            "swagger-ui-py package: pip install 'openscf[docs]').",
        ),
    ] = False,
) -> None:
    """Serve the REST API under /v1 (OpenAPI at /v1/openapi.json; docs UI with --docs).

    Operators get /v1/health, /v1/ready and /metrics. Refuses a database whose schema is
    older (run `openscf db upgrade`) or newer than this openscf's; creates an empty one."""
    if log_format is not None and log_format not in ("text", "json"):
        raise typer.BadParameter("choose text or json", param_hint="--log-format")
    settings = load_settings()
    host = host or settings.host
    port = port or settings.port
    if clock_start:
        from datetime import datetime

        try:
            if datetime.fromisoformat(clock_start.replace("Z", "+00:00")).tzinfo is None:
                raise ValueError("no time zone")
        except ValueError as exc:
            raise typer.BadParameter(
                f"not an RFC 3339 instant with a zone: {exc}", param_hint="--clock-start"
            ) from None
    engine = connect_database(db, create=True)
    url = engine.url.render_as_string(hide_password=False)
    if workers > 1 and engine.dialect.name == "sqlite":
        engine.dispose()
        fail(
            "workers_need_postgresql",
            f"--workers {workers} needs PostgreSQL: SQLite admits one writing process at a "
            "time, so the workers would queue on its lock; serve one worker on SQLite, or "
            "give --db postgresql://...",
        )
    if schema_status(engine).state == "empty":
        migrate(engine)
    else:
        check_schema(engine, upgrade_command=upgrade_hint(db))
    _bootstrap(engine)
    where = (
        f"docs: http://{host}:{port}/v1/docs"
        if docs
        else f"OpenAPI: http://{host}:{port}/v1/openapi.json"
    )
    console.print(f"openscf API on http://{host}:{port}/v1  ({where})  database: {show_url(url)}")
    engine.dispose()
    _run(
        url,
        host,
        port,
        access_log=access_log,
        secure_cookies=False if insecure_cookies else None,
        clock_start=clock_start,
        workers=workers,
        docs=True if docs else None,
        log_format=log_format,
        shutdown_timeout=shutdown_timeout,
    )


@dataclass(frozen=True)
class DemoLogin:
    role: str
    login: str
    password: str
    api_key: str
    user_id: str
    org_id: str
    organisation: str
    hint: str = ""  # what to try first as this login


def _pick_demo_users(engine: Database) -> list[tuple[str, str, str, str]]:
    """(login, role, org id, user id) for one user per role of the demo network, chosen
    by what the organisations do rather than by name: the anchor of the first program
    (its maker, and a second user as checker), the supplier that issued the most
    invoices, a supplier that only received pieces down the chain (tier 2), the first
    two funders, the operator."""
    found = Ledger(engine).demo_cast()
    orgs, anchor = found["orgs"], found["anchor"]
    users: dict[str, list[tuple[str, tuple[str, ...]]]] = found["users"]
    issuers, holders = found["issuers"], found["holders"]

    def maker(org_id: str) -> str:
        found = users.get(org_id, [])
        best = (
            [u for u, p in found if "maker" in p and "admin" in p]
            or [u for u, p in found if "maker" in p]
            or [u for u, _ in found]
        )
        return best[0]

    def checker(org_id: str, not_user: str) -> str | None:
        found = [u for u, p in users.get(org_id, []) if "checker" in p and u != not_user]
        return found[0] if found else None

    by_role = {
        role: [o for o, roles in orgs if role in roles]
        for role in ("operator", "anchor", "supplier", "funder", "auditor")
    }
    picks: list[tuple[str, str, str, str]] = []
    picks.append(("operator", "operator", by_role["operator"][0], maker(by_role["operator"][0])))
    anchor = anchor or (by_role["anchor"] or [None])[0]
    if anchor:
        anchor_maker = maker(anchor)
        picks.append(("anchor", "anchor", anchor, anchor_maker))
        second = checker(anchor, anchor_maker)
        if second:
            picks.append(("anchor-checker", "anchor", anchor, second))
    suppliers = by_role["supplier"]
    tier1 = issuers[0] if issuers else (suppliers or [None])[0]
    if tier1:
        picks.append(("supplier", "supplier", tier1, maker(tier1)))
    tier2 = [o for o in suppliers if o in holders and o not in issuers]
    if tier2:
        picks.append(("supplier-tier2", "supplier", tier2[0], maker(tier2[0])))
    for login, funder in zip(("funder", "funder2"), by_role["funder"], strict=False):
        picks.append((login, "funder", funder, maker(funder)))
    for auditor in by_role["auditor"][:1]:
        picks.append(("auditor", "auditor", auditor, maker(auditor)))
    return picks


def seed_demo_logins(
    engine: Database,
    cast: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[DemoLogin]:
    """After `run_demo`: register an auditor, and give one user per role a login, a
    password (`demo-<login>`) and a fresh API key.

    `cast` (the demo's `today["logins"]`: login -> role, org_id, user_id, try) names the
    organisations of today's story; without it the users are picked by what their
    organisations did. The operator and the auditor are added either way."""
    from openscf.app import NetworkService
    from openscf.app.auth import Authenticator
    from openscf.domain import commands as c

    svc = NetworkService(engine)
    auth = Authenticator(engine)
    picks = _pick_demo_users(engine)
    if not any(role == "auditor" for _, role, _, _ in picks):
        operator_user = picks[0][3]
        org = svc.handle(
            operator_user,
            c.RegisterOrganisation(name=AUDITOR_NAME, roles=("auditor",), country="DE"),
        ).created["org_id"]
        svc.handle(operator_user, c.AddUser(org, "Prüfwerk auditor", ("viewer", "admin")))
        picks = _pick_demo_users(engine)
    # The dashboard has no operator page: the operator's browser shows the auditor's.
    hints = {
        "operator": "the log in the browser; organisations at /v1/organisations",
        "auditor": "check the log's signed checkpoint; replay it with openscf audit",
    }
    if cast:
        story = [
            (login, str(who["role"]), str(who["org_id"]), str(who["user_id"]))
            for login, who in cast.items()
        ]
        picks = (
            [p for p in picks if p[1] == "operator"]
            + story
            + [p for p in picks if p[1] == "auditor"]
        )
        hints.update({login: str(who.get("try", "")) for login, who in cast.items()})
    names = Ledger(engine).organisation_names()
    logins = []
    for login, role, org_id, user_id in picks:
        password = f"demo-{login}"
        auth.set_password(user_id, login, password)
        key = auth.issue_api_key(user_id, f"demo {login}")
        assert key.secret is not None
        logins.append(
            DemoLogin(
                role,
                login,
                password,
                key.secret,
                user_id,
                org_id,
                names.get(org_id, org_id),
                hints.get(login, ""),
            )
        )
    return logins


def print_logins(address: str, logins: list[DemoLogin]) -> None:
    table = Table(title=f"Demo logins for {address}  (password = demo-<login>)")
    for col in ("role", "login", "password", "organisation", "try first"):
        # What a person types is never wrapped nor cut short, whatever the terminal's width.
        typed = [getattr(e, col) for e in logins] if col in ("login", "password") else []
        table.add_column(
            col, no_wrap=bool(typed), overflow="fold", min_width=max(map(len, typed), default=None)
        )
    for entry in logins:
        table.add_row(entry.role, entry.login, entry.password, entry.organisation, entry.hint)
    console.print(table)
    console.print("API keys (Authorization: Bearer <key>):")
    for entry in logins:
        # Plain print: a key must never be wrapped or truncated by the terminal width.
        print(f"  {entry.login:<16} {entry.api_key}", flush=True)


def serve_demo(engine: Database, cast: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """`openscf demo --serve`: the demo database, with logins (`cast`: the organisations
    of the demo's today story), served on $OPENSCF_HOST:$OPENSCF_PORT (default
    127.0.0.1:8000) on the system clock, whose date is the story's today."""
    settings = load_settings()
    host, port = settings.host, settings.port
    migrate(engine)
    logins = seed_demo_logins(engine, cast)
    address = f"http://{host}:{port}"
    console.rule(Text("openscf demo: serving", style="bold"))
    print_logins(address, logins)
    console.print(
        f"open {address}/ in a browser, or the API at {address}/v1 "
        f"(OpenAPI {address}/v1/openapi.json); health {address}/v1/health, readiness "
        f"{address}/v1/ready, metrics {address}/metrics; Ctrl-C stops"
    )
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    _run(url, host, port)


def register(app: Any) -> None:
    app.command("serve")(serve)
