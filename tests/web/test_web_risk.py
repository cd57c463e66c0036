"""Scores and indicative prices on the dashboards and over the API, each shown only to whom
it concerns: a supplier sees its own score and the prices of its own pieces, a funder of
the program the grade and suggested bid of a piece put up for financing, the operator the
recent decisions; other organisations see none of it, and an id they name is answered
the same whether or not the piece exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from openscf.app.audit import audit, db_source
from openscf.sim.demo_risk import run_risk_story, supplier_features
from openscf.web.risk import bps_percent, reason_words

from ..api.conftest import World, assert_error, build_world
from .test_web_trouble_forms import Tabs


@dataclass
class Priced:
    w: World
    own: str  # S0's piece, not put up for financing
    offered: str  # S1's piece, with an open financing request
    story: dict  # type: ignore[type-arg]


@pytest.fixture
def priced(engine: Engine) -> Iterator[Priced]:
    w = build_world(engine)
    own = w.confirm(120_000_00, supplier="S0")["receivable_id"]
    offered = w.confirm(80_000_00, supplier="S1")["receivable_id"]
    r = w.post("S1", "/v1/financing_requests", {"receivable_id": offered})
    assert r.status_code == 201, r.text
    story = run_risk_story(
        w.engine,
        w.net.svc,
        w.users["OP"],
        w.programs["P"],
        w.net.clock.now().date(),
    )
    yield Priced(w, own, offered, story)
    w.client.close()


def _price(p: Priced, rid: str) -> dict:  # type: ignore[type-arg]
    return next(x for x in p.story["prices"] if x["receivable_id"] == rid)


def test_the_recorded_scores_and_prices_pass_the_audit(priced: Priced) -> None:
    p = priced
    assert {p.w.orgs["S0"], p.w.orgs["S1"]} <= set(p.story["scores"])
    assert {x["receivable_id"] for x in p.story["prices"]} >= {p.own, p.offered}
    assert audit(db_source(p.w.engine)).ok


def test_the_supplier_sees_its_own_score_and_the_price_of_its_pieces_and_nothing_else(
    priced: Priced,
) -> None:
    p = priced
    tabs = Tabs(p.w, "S0", "S1")
    page = tabs.page("S0", "/supplier")
    mine = p.story["scores"][p.w.orgs["S0"]]
    theirs = p.story["scores"][p.w.orgs["S1"]]
    assert f'data-score="{mine["decision_id"]}"' in page
    assert f"probability of default <span data-pd>{bps_percent(mine['pd_bps'])}</span>" in page
    assert theirs["decision_id"] not in page
    price = _price(p, p.own)
    assert f'data-risk-price="{p.own}"' in page
    assert f'data-rate-bps="{price["rate_bps"]}"' in page
    assert bps_percent(price["rate_bps"]) + " p.a." in page
    assert "cost of funds 3.50 %" in page and "margin 1.25 %" in page
    assert f'data-risk-price="{p.offered}"' not in page
    # The other supplier's page shows its own score and its own piece, not S0's.
    other = tabs.page("S1", "/supplier")
    assert f'data-score="{theirs["decision_id"]}"' in other
    assert mine["decision_id"] not in other and p.own not in other


def test_a_score_reason_is_shown_in_words() -> None:
    words = reason_words("overdue_bps = 1200: 50 points below the best")
    assert (
        words == "share of your invoices' face paid late or in default: 12.00 % (costs 50 points)"
    )
    assert reason_words("invoices_confirmed = 1: 55 points below the best").startswith(
        "invoices confirmed to you so far: 1 "
    )
    assert reason_words("something else") == "something else"


def test_the_funder_sees_grade_and_suggested_bid_only_on_pieces_offered_to_it(
    priced: Priced,
) -> None:
    p = priced
    tabs = Tabs(p.w, "F", "G", "OP")
    page = tabs.page("F", "/funder")
    grade = p.story["scores"][p.w.orgs["S1"]]["grade"]
    cell = re.search(rf'data-risk-price="{p.offered}">(.*?)</td>', page, re.S)
    assert cell is not None
    assert f'<span class="strong" data-grade>{grade}</span>' in cell.group(1)
    assert f'data-rate-bps="{_price(p, p.offered)["rate_bps"]}"' in cell.group(1)
    assert f'data-risk-price="{p.own}"' not in page
    # A funder of another program sees neither the request nor its price.
    assert p.offered not in tabs.page("G", "/funder")
    # The operator's page lists the recent decisions with their model and output.
    operator = tabs.page("OP", "/auditor")
    assert 'data-table="risk-decisions"' in operator
    assert f'data-decision="{_price(p, p.offered)["decision_id"]}"' in operator
    assert p.story["models"]["price"] in operator


def test_the_indicative_price_over_the_api_goes_to_the_holder_and_the_offered_funders(
    priced: Priced,
) -> None:
    p = priced
    w = p.w
    r = w.get("S0", f"/v1/receivables/{p.own}/indicative_price")
    assert r.status_code == 200, r.text
    body = r.json()
    out = body["output"]
    assert out["rate_bps"] == (
        out["cost_of_funds_bps"]
        + out["expected_loss_bps"]
        + out["capital_charge_bps"]
        + out["margin_bps"]
    )
    assert body["grade"] == p.story["scores"][w.orgs["S0"]]["grade"]
    assert "features" not in body and "reasons" not in body
    funder = w.get("F", f"/v1/receivables/{p.offered}/indicative_price")
    assert funder.status_code == 200 and funder.json()["grade"] is not None
    assert w.get("OP", f"/v1/receivables/{p.own}/indicative_price").status_code == 200
    # Everyone else gets the same answer as for a piece that does not exist.
    missing = "rcv_" + "0" * 26
    for who, rid in (
        ("S1", p.own),
        ("F", p.own),
        ("G", p.offered),
        ("B", p.own),
        ("S0", p.offered),
    ):
        hidden = assert_error(
            w.get(who, f"/v1/receivables/{rid}/indicative_price"), 404, "no_indicative_price"
        )
        absent = assert_error(
            w.get(who, f"/v1/receivables/{missing}/indicative_price"), 404, "no_indicative_price"
        )
        assert hidden["message"].replace(rid, "X") == absent["message"].replace(missing, "X")


def test_a_supplier_reads_only_its_own_score_decisions_over_the_api(priced: Priced) -> None:
    p = priced
    w = p.w
    for who in ("S0", "S1"):
        data = w.get(who, "/v1/risk_decisions", params={"kind": "score"}).json()["data"]
        assert [d["org_id"] for d in data] == [w.orgs[who]]
    theirs = p.story["scores"][w.orgs["S1"]]["decision_id"]
    assert_error(w.get("S0", f"/v1/risk_decisions/{theirs}"), 404, "unknown_decision")
    assert_error(w.get("F", f"/v1/risk_decisions/{theirs}"), 404, "unknown_decision")


def test_the_scorecards_features_are_counted_from_the_stored_network(priced: Priced) -> None:
    p = priced
    features = supplier_features(p.w.engine, p.w.orgs["S0"])
    assert features["invoices_confirmed"] >= 1
    assert features["overdue_bps"] == 0 and features["cancelled_bps"] == 0
