"""A pure in-memory world for domain tests: decide + apply, no database, no clock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.apply import apply
from openscf.domain.decide import Actor, decide
from openscf.domain.events import EventRecord
from openscf.domain.ids import PREFIXES, make_id
from openscf.domain.state import InMemoryState
from openscf.trust.keys import SigningKey, encode_public_key

TODAY = date(2026, 3, 2)  # a Monday
IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"
OPERATOR = Actor("org_op", "usr_op")


@dataclass
class World:
    state: InMemoryState = field(default_factory=InMemoryState)
    today: date = TODAY
    log: list[EventRecord] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        """Genesis, as the app's bootstrap writes it: the operator and its first admin."""
        now = datetime(self.today.year, self.today.month, self.today.day, 9, tzinfo=UTC)
        for event in (
            ev.OrganisationRegistered(
                OPERATOR.org_id, "Operator", ("operator",), "DE", None, None, None
            ),
            ev.UserAdded(
                OPERATOR.user_id, OPERATOR.org_id, "operator admin", ("admin", "checker", "maker")
            ),
        ):
            record = EventRecord(
                self.new("evt"), OPERATOR.org_id, OPERATOR.user_id, now, event, len(self.log) + 1
            )
            apply(self.state, record)
            self.log.append(record)

    def new(self, prefix: str) -> str:
        """An id as the network would mint it (organisations keep short, readable ones)."""
        n = next(self.counter)
        if prefix in PREFIXES and prefix != "org":
            return make_id(prefix, n, bytes(10))
        return f"{prefix}_t{n}"

    def run(self, actor: Actor, command: c.Command) -> list[EventRecord]:
        events = decide(self.state, actor, command, self.today)
        now = datetime(self.today.year, self.today.month, self.today.day, 12, tzinfo=UTC)
        records = []
        for event in events:
            record = EventRecord(
                self.new("evt"), actor.org_id, actor.user_id, now, event, len(self.log) + 1
            )
            apply(self.state, record)
            self.log.append(record)
            records.append(record)
        return records

    def org(self, name: str, roles: tuple[str, ...], bank: bool = True) -> Actor:
        org_id, user_id = self.new("org"), self.new("usr")
        operator = OPERATOR
        public_key = encode_public_key(SigningKey.generate().public_key)
        self.run(
            operator,
            c.RegisterOrganisation(
                name,
                roles,
                "DE",
                iban=IBAN if bank else None,
                bic=BIC if bank else None,
                org_id=org_id,
                key_id=self.new("key"),
                public_key=public_key,
            ),
        )
        self.run(
            operator, c.AddUser(org_id, name + " user", ("admin", "maker", "checker"), user_id)
        )
        return Actor(org_id, user_id)

    def second_user(self, actor: Actor) -> Actor:
        user_id = self.new("usr")
        # The operator seeds the organisation's second approver (docs/security.md).
        self.run(
            Actor("org_op", "usr_op"),
            c.AddUser(actor.org_id, "second", ("checker", "maker"), user_id),
        )
        return Actor(actor.org_id, user_id)


@dataclass
class Network:
    """One anchor's program with a funder and three suppliers (s1 holds a receivable)."""

    world: World
    anchor: Actor
    funder: Actor
    s1: Actor
    s2: Actor
    s3: Actor
    program_id: str
    receivable_id: str

    def confirm(
        self,
        amount_minor: int = 100_000_00,
        due: date = date(2026, 5, 29),
        supplier: Actor | None = None,
        number: str | None = None,
    ) -> str:
        w = self.world
        rid = w.new("rcv")
        w.run(
            self.anchor,
            c.ConfirmInvoice(
                self.program_id,
                (supplier or self.s1).org_id,
                number or w.new("INV"),
                amount_minor,
                "EUR",
                due,
                invoice_id=w.new("inv"),
                receivable_id=rid,
                approval_id=w.new("apr"),
            ),
        )
        return rid


def build_network(
    threshold: int = 10**12,
    supplier_limit: int = 10**9,
    funder_limit: int = 10**9,
    program_limit: int = 10**10,
    recourse: bool = False,
) -> Network:
    w = World()
    anchor = w.org("Anchor AG", ("anchor",))
    funder = w.org("Bank AG", ("funder",))
    s1, s2, s3 = (w.org(f"Supplier {i}", ("supplier",)) for i in (1, 2, 3))
    program_id = w.new("prg")
    w.run(
        anchor,
        c.CreateProgram(
            "P",
            "EUR",
            180,
            program_limit,
            supplier_limit,
            funder_limit,
            "ACT/360",
            "TARGET",
            threshold,
            30,
            program_id,
            recourse=recourse,
        ),
    )
    w.run(anchor, c.AddFunder(program_id, funder.org_id))
    for s in (s1, s2, s3):
        w.run(anchor, c.OnboardSupplier(program_id, s.org_id))
    net = Network(w, anchor, funder, s1, s2, s3, program_id, "")
    net.receivable_id = net.confirm()
    return net


@pytest.fixture
def net() -> Network:
    return build_network()
