"""The invariant replay catches histories that break the rules, whoever wrote them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.replay import replay

from ..tagging import tag
from .conftest import Network

DUE = date(2026, 5, 29)


def _forge(net: Network, event: ev.Event, org_id: str) -> list[ev.EventRecord]:
    last = net.world.log[-1]
    forged = ev.EventRecord(
        "evt_forged", org_id, "usr_x", last.occurred_at, event, len(net.world.log) + 1
    )
    return [*net.world.log, forged]


def test_an_honest_history_replays_clean(net: Network) -> None:
    result = replay(net.world.log)
    assert result.ok and result.events == len(net.world.log)


def test_a_move_by_someone_other_than_the_holder_is_caught(net: Network) -> None:
    forged = _forge(
        net,
        ev.ReceivableTransferred(
            net.receivable_id,
            "rcv_stolen",
            net.s1.org_id,
            net.s2.org_id,
            net.anchor.org_id,
            100_000_00,
            "transfer",
        ),
        net.s2.org_id,
    )
    result = replay(forged)
    assert [v.event_id for v in result.violations] == ["evt_forged"]


def test_a_piece_consumed_twice_is_caught(net: Network) -> None:
    net.world.run(
        net.s1,
        c.TransferReceivable(
            net.receivable_id, net.s2.org_id, new_receivable_id=tag(net.s1, "rcv_1")
        ),
    )
    forged = _forge(
        net,
        ev.ReceivableTransferred(
            net.receivable_id,
            "rcv_2",
            net.s1.org_id,
            net.s3.org_id,
            net.anchor.org_id,
            100_000_00,
            "transfer",
        ),
        net.s1.org_id,
    )
    result = replay(forged)
    assert not result.ok and "consumed at most once" in result.violations[0].message


def test_a_split_that_mints_money_is_caught(net: Network) -> None:
    forged = _forge(
        net,
        ev.ReceivableSplit(
            net.receivable_id, net.s1.org_id, net.anchor.org_id, ("rcv_a", "rcv_b"), (100_000_00, 1)
        ),
        net.s1.org_id,
    )
    assert "does not sum" in replay(forged).violations[0].message


def test_settlement_by_someone_other_than_the_obligor_is_caught(net: Network) -> None:
    forged = _forge(
        net,
        ev.ReceivableSettled(
            net.receivable_id, net.anchor.org_id, net.s1.org_id, 100_000_00, "EUR", DUE
        ),
        net.s1.org_id,
    )
    assert replay(forged).violations[0].code == "invalid_event"


def test_an_invoice_confirmed_twice_is_caught(net: Network) -> None:
    issued = net.world.log[-1].event
    assert isinstance(issued, ev.ReceivableIssued)
    forged = _forge(
        net, replace(issued, receivable_id="rcv_dup", invoice_id="inv_dup"), net.anchor.org_id
    )
    assert "already backs" in replay(forged).violations[0].message


def test_a_confirmation_past_the_limit_is_caught(net: Network) -> None:
    issued = net.world.log[-1].event
    assert isinstance(issued, ev.ReceivableIssued)
    forged = _forge(
        net,
        replace(
            issued,
            receivable_id="rcv_big",
            invoice_id="inv_big",
            invoice_number="BIG",
            face_minor=10**10,
        ),
        net.anchor.org_id,
    )
    assert replay(forged).violations[0].code == "limit_exceeded"


def test_a_gap_in_sequence_numbers_is_caught(net: Network) -> None:
    log = list(net.world.log)
    del log[3]
    assert any(v.code == "sequence_gap" for v in replay(log).violations)
