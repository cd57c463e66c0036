"""When a financing request closes, its open offers are declined, each by an event: when
another offer is accepted, when the holder withdraws the request, and when the piece is
settled at maturity with the request still open."""

from __future__ import annotations

from datetime import date

import pytest

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.errors import Conflict

from .conftest import Actor, Network, build_network

DUE = date(2026, 5, 29)


def _bids(net: Network) -> tuple[str, list[str], Actor]:
    """S1 asks for financing of its piece; the program's two funders each bid."""
    w = net.world
    second = w.org("Bank Zwei", ("funder",))
    w.run(net.anchor, c.AddFunder(net.program_id, second.org_id))
    request = w.new("fin")
    w.run(net.s1, c.RequestFinancing(net.receivable_id, request))
    offers = []
    for funder, rate in ((net.funder, "0.05"), (second, "0.06")):
        offer = w.new("ofr")
        w.run(funder, c.OfferFinancing(request, rate, w.today, offer_id=offer))
        offers.append(offer)
    return request, offers, second


def _declined(records: list[ev.EventRecord]) -> dict[str, str]:
    return {
        r.event.offer_id: r.event.reason
        for r in records
        if isinstance(r.event, ev.FinancingOfferDeclined)
    }


@pytest.fixture
def net() -> Network:
    return build_network()


def test_accepting_one_offer_declines_the_others(net: Network) -> None:
    _, (winner, loser), second = _bids(net)
    records = net.world.run(net.s1, c.AcceptFinancingOffer(winner, net.world.new("rcv")))
    assert _declined(records) == {loser: "another offer was accepted"}  # never which one
    offers = net.world.state.financing_offers
    assert (offers[winner].status, offers[loser].status) == ("accepted", "declined")
    declined = next(r.event for r in records if isinstance(r.event, ev.FinancingOfferDeclined))
    assert declined.parties() == tuple(sorted((net.s1.org_id, second.org_id)))


def test_withdrawing_the_request_declines_every_open_offer(net: Network) -> None:
    request, offers, _ = _bids(net)
    records = net.world.run(net.s1, c.WithdrawFinancingRequest(request))
    assert set(_declined(records)) == set(offers)
    assert {net.world.state.financing_offers[o].status for o in offers} == {"declined"}


def test_settling_a_piece_with_an_open_request_declines_its_offers(net: Network) -> None:
    request, offers, _ = _bids(net)
    net.world.today = DUE
    records = net.world.run(net.anchor, c.SettleReceivable(net.receivable_id))
    assert set(_declined(records)) == set(offers)
    assert net.world.state.financing_requests[request].status == "withdrawn"


def test_a_declined_offer_can_no_longer_be_accepted(net: Network) -> None:
    request, offers, _ = _bids(net)
    net.world.run(net.s1, c.WithdrawFinancingRequest(request))
    with pytest.raises(Conflict) as info:
        net.world.run(net.s1, c.AcceptFinancingOffer(offers[0], net.world.new("rcv")))
    assert info.value.code == "request_not_open"
