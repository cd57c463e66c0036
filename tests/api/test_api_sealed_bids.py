"""Sealed bids: a funder never sees a rival funder's offer on the same request (its id,
rate or cash), before or after the holder accepts one, in any API response or dashboard
page. Only the funder that bid, the holder that asked, and the operator and auditors see
an offer (`ReadModel.may_see_offer`)."""

from __future__ import annotations

from typing import Any

import pytest

from openscf.web.routes import SESSION_COOKIE
from openscf.web.views import money, percent

from .conftest import World

F_RATE, G_RATE = "0.0415", "0.0437"


@pytest.fixture
def bids(world: World) -> dict[str, Any]:
    """F and G fund program P; S1 asked for financing on a piece; both bid."""
    w = world
    assert (
        w.post(
            "A", f"/v1/programs/{w.programs['P']}/funders", {"funder_id": w.orgs["G"]}
        ).status_code
        == 200
    )
    root = w.confirm(100_000_00)["receivable_id"]
    piece = w.post("S0", f"/v1/receivables/{root}/transfer", {"to_org_id": w.orgs["S1"]}).json()[
        "id"
    ]
    request = w.post("S1", "/v1/financing_requests", {"receivable_id": piece}).json()["id"]
    offers = {}
    for who, rate in (("F", F_RATE), ("G", G_RATE)):
        r = w.post(
            who,
            f"/v1/financing_requests/{request}/offers",
            {"annual_rate": rate, "value_date": "2026-03-02", "fees_minor": 123},
        )
        assert r.status_code == 201, r.text
        offers[who] = r.json()
    return {"piece": piece, "request": request, "offers": offers}


def _api_reads(bids: dict[str, Any]) -> list[str]:
    piece, request = bids["piece"], bids["request"]
    return [
        f"/v1/receivables/{piece}",
        f"/v1/receivables/{piece}/chain_of_custody",
        "/v1/receivables?limit=100",
        f"/v1/financing_requests/{request}",
        "/v1/financing_requests?limit=100",
        f"/v1/financing_requests/{request}/offers",
        "/v1/financing_offers?limit=100",
        "/v1/events?limit=100",
    ]


def _traces(offer: dict[str, Any]) -> list[str]:
    """What would give a rival's offer away: its id, its rate (as sent and as shown),
    and the cash it pays (as a number and as shown)."""
    return [
        offer["id"],
        offer["annual_rate"],
        percent(offer["annual_rate"]),
        str(offer["proceeds_minor"]),
        money(offer["proceeds_minor"], "EUR"),
    ]


def _dashboard(world: World, who: str, path: str) -> str:
    session = world.auth.start_session(world.users[who])
    response = world.client.get(path, headers={"Cookie": f"{SESSION_COOKIE}={session.session_id}"})
    assert response.status_code == 200, (path, response.status_code)
    return str(response.text)


def _leaks(texts: dict[str, str], offer: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (where, trace) for where, text in texts.items() for trace in _traces(offer) if trace in text
    ]


def _everything(world: World, who: str, bids: dict[str, Any]) -> dict[str, str]:
    texts = {}
    for path in _api_reads(bids):
        response = world.get(who, path)
        assert response.status_code == 200, (who, path, response.text)
        texts[path] = response.text
    return texts


def test_a_rival_funder_sees_no_trace_of_the_other_offer_in_the_api(
    world: World, bids: dict[str, Any]
) -> None:
    f_offer, g_offer = bids["offers"]["F"], bids["offers"]["G"]
    assert _leaks(_everything(world, "F", bids), g_offer) == []
    assert _leaks(_everything(world, "G", bids), f_offer) == []
    # Each funder does see its own offer in its chain of custody, and the holder sees both:
    for who, offer in (("F", f_offer), ("G", g_offer)):
        chain = world.get(who, f"/v1/receivables/{bids['piece']}/chain_of_custody").text
        assert offer["id"] in chain
    holder = world.get("S1", f"/v1/receivables/{bids['piece']}/chain_of_custody").text
    assert f_offer["id"] in holder and g_offer["id"] in holder


def test_after_acceptance_the_winning_price_stays_between_holder_and_winner(
    world: World, bids: dict[str, Any]
) -> None:
    g_offer = bids["offers"]["G"]
    accepted = world.post("S1", f"/v1/financing_offers/{g_offer['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    # F learns that the request was accepted, but not by which offer nor at what price.
    request = world.get("F", f"/v1/financing_requests/{bids['request']}").json()
    assert request["status"] == "accepted" and request["accepted_offer_id"] is None
    assert _leaks(_everything(world, "F", bids), g_offer) == []
    # The anchor is not party to the price either.
    anchor = {
        p: world.get("A", p).text
        for p in (
            f"/v1/receivables/{bids['piece']}/chain_of_custody",
            f"/v1/financing_requests/{bids['request']}",
        )
    }
    assert _leaks(anchor, g_offer) == []
    # The winner and the holder see the accepted offer.
    for who in ("G", "S1"):
        assert (
            world.get(who, f"/v1/financing_requests/{bids['request']}").json()["accepted_offer_id"]
            == g_offer["id"]
        )


def test_a_rival_funder_sees_no_trace_of_the_other_offer_on_the_dashboard(
    world: World, bids: dict[str, Any]
) -> None:
    pages = [f"/receivables/{bids['piece']}", "/funder"]
    f_offer, g_offer = bids["offers"]["F"], bids["offers"]["G"]
    before = {p: _dashboard(world, "F", p) for p in pages}
    assert _leaks(before, g_offer) == []
    assert percent(f_offer["annual_rate"]) in before[f"/receivables/{bids['piece']}"]
    # The holder's receivable page shows both offers.
    holder = _dashboard(world, "S1", f"/receivables/{bids['piece']}")
    assert percent(F_RATE) in holder and percent(G_RATE) in holder
    assert world.post("S1", f"/v1/financing_offers/{g_offer['id']}/accept").status_code == 200
    after = {p: _dashboard(world, "F", p) for p in pages}
    assert _leaks(after, g_offer) == []
