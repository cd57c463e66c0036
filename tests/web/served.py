"""A served demo network for the browser tests: the demo economy, logins for one user
per role, and the API with the dashboard on a free loopback port, in a thread.

Time: the server runs on a `FixedClock` the tests hold. It starts the day after the demo's
last event and moves only when a test says so (`Site.advance_to`), which is how the flow
reaches a receivable's maturity date without waiting for it. Sessions are given a long
lifetime so that moving the clock does not log the users out.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from openscf.api import create_app
from openscf.app import FixedClock, NetworkService
from openscf.app.auth import Authenticator
from openscf.app.witness import run_witness
from openscf.domain import commands as c
from openscf.domain.events import parse_instant
from openscf.sim.demo import run_demo
from openscf.sim.network_builder import Firm, NetworkBuilder
from openscf.store import make_engine, migrate, sqlite_url
from openscf.store import tables as t

__all__ = ["HOSTILE_NAME", "WITNESS", "Actor", "Site", "start_site"]

WITNESS = "witness.hansa.example"
# A supplier whose name is longer than a custody-graph box is wide.
LONG_NAME = "Schmidt & Söhne Präzisionswerkzeuge und Feinmechanik Gesellschaft mbH"
# A supplier on the network but onboarded in no program: never a transfer candidate.
OUTSIDER_NAME = "Web Test Outsider GmbH"
HOSTILE_NAME = 'Evil <img src=x onerror="alert(1)"> & <script>alert(2)</script> GmbH'


@dataclass(frozen=True)
class Actor:
    login: str
    password: str
    user_id: str
    org_id: str
    name: str


@dataclass
class Site:
    base_url: str
    engine: Engine
    clock: FixedClock
    program_id: str
    actors: dict[str, Actor]
    # Pieces seeded before any test: supplier-other holds the first two, the funder the third.
    seeded: list[str]
    server: Any
    thread: threading.Thread
    # The server's own service (commands as any user, on the site's clock), and the ids of
    # organisations and users seeded for the role tests.
    service: NetworkService | None = None
    extra: dict[str, str] | None = None

    def advance_to(self, instant: datetime) -> None:
        self.clock.set(instant)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.engine.dispose()

    def log_size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(t.log_head.c.size)).scalar_one())

    def receivable(self, receivable_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.receivables).where(t.receivables.c.id == receivable_id)
            ).first()
        assert row is not None, receivable_id
        return dict(row._mapping)

    def pieces_held(self, org_id: str, status: str = "live") -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.receivables).where(
                    t.receivables.c.holder_id == org_id, t.receivables.c.status == status
                )
            )
            return [dict(r._mapping) for r in rows]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _users(conn: Any, org_id: str, permission: str) -> list[str]:
    return [
        uid
        for uid, perms in conn.execute(
            select(t.users.c.id, t.users.c.permissions)
            .where(t.users.c.org_id == org_id)
            .order_by(t.users.c.id)
        )
        if permission in json.loads(perms)
    ]


def _pick(engine: Engine) -> tuple[str, dict[str, tuple[str, str]]]:
    """The first program of the demo and, in it: the anchor's maker and a second user
    who is a checker, three onboarded suppliers, both funders, and the operator."""
    with engine.connect() as conn:
        program = conn.execute(select(t.programs).order_by(t.programs.c.id)).first()
        assert program is not None, "the demo built no program"
        anchor = program.anchor_id
        maker = _users(conn, anchor, "maker")[0]
        checker = next(u for u in _users(conn, anchor, "checker") if u != maker)
        suppliers = list(
            conn.execute(
                select(t.relationships.c.supplier_id)
                .where(t.relationships.c.program_id == program.id)
                .order_by(t.relationships.c.supplier_id)
            ).scalars()
        )
        with_makers = [s for s in suppliers if _users(conn, s, "maker")][:3]
        funders = json.loads(program.funder_ids)
        operator_org = next(
            oid
            for oid, roles in conn.execute(select(t.organisations.c.id, t.organisations.c.roles))
            if "operator" in roles
        )
        operator = _users(conn, operator_org, "admin")[0]
    picked = {
        "anchor": (maker, anchor),
        "anchor-checker": (checker, anchor),
        "supplier": (_users_of(engine, with_makers[0]), with_makers[0]),
        "supplier-tier2": (_users_of(engine, with_makers[1]), with_makers[1]),
        "supplier-other": (_users_of(engine, with_makers[2]), with_makers[2]),
        "funder": (_users_of(engine, funders[0]), funders[0]),
        "funder2": (_users_of(engine, funders[1]), funders[1]),
        "operator": (operator, operator_org),
    }
    return str(program.id), picked


def _users_of(engine: Engine, org_id: str) -> str:
    with engine.connect() as conn:
        return _users(conn, org_id, "maker")[0]


def start_site(directory: Path, *, secure_cookies: bool = True) -> Site:
    engine = make_engine(sqlite_url(directory / "demo.db"))
    migrate(engine)
    run_demo(engine)
    with engine.connect() as conn:
        last = conn.execute(select(func.max(t.events.c.occurred_at))).scalar_one()
    start = parse_instant(last).astimezone(UTC).replace(
        hour=9, minute=0, second=0, microsecond=0
    ) + timedelta(days=1)
    clock = FixedClock(start)
    program_id, picked = _pick(engine)
    service = NetworkService(engine, clock)
    builder = NetworkBuilder(service, picked["operator"][0])
    auditor = builder.firm(
        "Web Test Audit GmbH",
        ("auditor",),
        user_name="auditor",
        permissions=("viewer",),
        iban=None,
        bic=None,
    )
    picked["auditor"] = (auditor.user_id, auditor.org_id)
    auth = Authenticator(engine, clock)
    actors = {}
    with engine.connect() as conn:
        names = dict(conn.execute(select(t.organisations.c.id, t.organisations.c.name)).all())
    for login, (user_id, org_id) in picked.items():
        password = f"web-test-{login}"
        auth.set_password(user_id, login, password)
        actors[login] = Actor(login, password, user_id, org_id, names[org_id])
    seeded = _seed(builder, clock, program_id, actors)
    extra = _seed_roles(builder, clock, program_id, actors)
    # A funder witnesses the log: it checks and cosigns the latest checkpoint.
    run_witness(engine, directory / "witness.json", WITNESS, actors["funder"].org_id, clock.now())
    app = create_app(
        engine,
        clock,
        service=service,
        session_ttl=timedelta(days=400),
        auth_cache_seconds=0,
        secure_cookies=secure_cookies,
    )
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, name="openscf-web-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return Site(
        f"http://127.0.0.1:{port}",
        engine,
        clock,
        program_id,
        actors,
        seeded,
        server,
        thread,
        service,
        extra,
    )


def _seed(
    builder: NetworkBuilder, clock: FixedClock, program_id: str, actors: dict[str, Actor]
) -> list[str]:
    """Live pieces that outlast any test's move of the clock (due in 100-150 days), so
    every role's page has something to chart whatever runs first: three confirmations
    for supplier-other, the last of them sold to the funder."""
    today = clock.now().date()
    service = builder.service
    anchor, other, funder = actors["anchor"], actors["supplier-other"], actors["funder"]
    # A supplier whose name is markup: every page must show it as text.
    hostile = builder.organisation(HOSTILE_NAME, ("supplier",))
    builder.onboard(Firm(anchor.org_id, anchor.user_id), program_id, hostile)
    pieces = []
    for number, amount, days in (
        ("SEED-1", 80_000_00, 100),
        ("SEED-2", 45_000_00, 130),
        ("SEED-3", 30_000_00, 150),
    ):
        out = service.handle(
            anchor.user_id,
            c.ConfirmInvoice(
                program_id, other.org_id, number, amount, "EUR", today + timedelta(days=days)
            ),
        )
        pieces.append(str(out.created["receivable_id"]))
    request = service.handle(other.user_id, c.RequestFinancing(pieces[2])).created["request_id"]
    offer = service.handle(funder.user_id, c.OfferFinancing(request, "0.05", today)).created[
        "offer_id"
    ]
    sold = service.handle(other.user_id, c.AcceptFinancingOffer(offer))
    pieces[2] = str(sold.created["new_receivable_id"])
    return pieces


def _seed_roles(
    builder: NetworkBuilder, clock: FixedClock, program_id: str, actors: dict[str, Actor]
) -> dict[str, str]:
    """What the role tests need whatever the demo holds: three sales by three sellers of
    pieces owed by the anchor (so an indicative price exists; at 4, 5 and 6 %), a supplier
    with a long name onboarded in the program, and a supplier onboarded nowhere."""
    service = builder.service
    today = clock.now().date()
    anchor, funder2 = actors["anchor"], actors["funder2"]

    def supplier(name: str, iban: str, onboard: bool) -> tuple[str, str]:
        firm = builder.supplier(name, user_name="maker", permissions=("maker",), iban=iban)
        if onboard:
            builder.onboard(Firm(anchor.org_id, anchor.user_id), program_id, firm)
        return firm.org_id, firm.user_id

    long_org, long_user = supplier(LONG_NAME, "DE02100100100006820101", True)
    outsider, _ = supplier(OUTSIDER_NAME, "DE02500105170137075030", False)
    sellers = [
        supplier("Web Test Pricing GmbH", "DE02120300000000202051", True),
        supplier("Web Test Pricing Zwei GmbH", "DE02300209000106531065", True),
        (long_org, long_user),
    ]
    for (seller, seller_user), (number, amount, rate) in zip(
        sellers,
        (
            ("PRICE-1", 20_000_00, "0.04"),
            ("PRICE-2", 25_000_00, "0.05"),
            ("PRICE-3", 30_000_00, "0.06"),
        ),
        strict=True,
    ):
        piece = service.handle(
            anchor.user_id,
            c.ConfirmInvoice(program_id, seller, number, amount, "EUR", today + timedelta(days=90)),
        )
        request = service.handle(
            seller_user, c.RequestFinancing(str(piece.created["receivable_id"]))
        ).created["request_id"]
        offer = service.handle(funder2.user_id, c.OfferFinancing(request, rate, today)).created[
            "offer_id"
        ]
        service.handle(seller_user, c.AcceptFinancingOffer(offer))
    return {"long_org": long_org, "long_user": long_user, "outsider": outsider}
