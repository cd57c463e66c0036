"""The demo leaves a network that is alive today: every printed login has work waiting
that it can act on at once, through the API, on the system clock (as `demo --serve`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openscf.api import create_app
from openscf.cli import app
from openscf.cli import serve as serve_module
from openscf.cli.serve import DemoLogin, print_logins, seed_demo_logins
from openscf.sim.confirmation import APPROVAL_THRESHOLD_MINOR
from openscf.store import make_engine, sqlite_url

runner = CliRunner()


@dataclass
class Served:
    summary: dict[str, Any]
    today: dict[str, Any]
    logins: dict[str, DemoLogin]
    client: TestClient
    files: Path

    def get(self, login: str, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params, headers=self._h(login))
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, login: str, path: str, body: Any = None) -> Any:
        return self.client.post(path, json=body, headers=self._h(login))

    def _h(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.logins[login].api_key}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`openscf demo --json` as the CLI runs it, then the logins `--serve` prints, and the
    API on the system clock."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = runner.invoke(app, ["demo", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    engine = make_engine(sqlite_url(db))
    logins = seed_demo_logins(engine, summary["today"]["logins"])
    with TestClient(create_app(engine)) as client:
        yield Served(
            summary,
            summary["today"],
            {x.login: x for x in logins},
            client,
            db.parent / "demo.db.files",
        )
    engine.dispose()


def _today() -> date:
    return datetime.now(UTC).date()


def test_the_story_happens_on_the_real_date_after_the_simulated_history(served: Served) -> None:
    assert served.summary["invariants_ok"] is True
    assert served.today["today"] == _today().isoformat()
    events = served.get("auditor", "/v1/events", limit=1)["data"]
    assert events, "the log is empty"
    checkpoint = served.get("auditor", "/v1/log/checkpoint")
    # The demo's events, the auditor and its user (and whatever the other tests did).
    assert checkpoint["size"] >= served.summary["events"] + 2


def test_a_login_is_printed_for_each_role_and_each_is_an_organisation_of_the_story(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    logins = served.logins
    assert set(logins) == {
        "operator",
        "anchor",
        "anchor-checker",
        "supplier",
        "supplier-tier2",
        "supplier-tier3",
        "funder",
        "funder2",
        "auditor",
    }
    program = served.get("anchor", f"/v1/programs/{served.today['program_id']}")
    assert program["anchor_id"] == logins["anchor"].org_id == logins["anchor-checker"].org_id
    assert logins["anchor"].user_id != logins["anchor-checker"].user_id
    assert {logins["funder"].org_id, logins["funder2"].org_id} <= set(program["funder_ids"])
    onboarded = {
        s["supplier_id"]
        for s in served.get("anchor", f"/v1/programs/{program['id']}/suppliers", limit=100)["data"]
    }
    assert {logins[x].org_id for x in ("supplier", "supplier-tier2", "supplier-tier3")} <= onboarded
    for login in logins.values():
        r = served.client.post(
            "/v1/sessions", json={"login": login.login, "password": login.password}
        )
        assert r.status_code == 201, (login.login, r.text)
        assert r.json()["org_id"] == login.org_id
        assert login.hint, f"{login.login} has nothing to try first"
    width = serve_module.console.width
    serve_module.console.width = 80  # a terminal's default: the logins are typed, never cut
    try:
        print_logins("http://127.0.0.1:8000", list(logins.values()))
    finally:
        serve_module.console.width = width
    printed = capsys.readouterr().out
    for login in logins.values():
        assert login.login in printed and login.api_key in printed
        assert f" {login.password} " in printed, login.password
    assert "…" not in printed  # long words fold onto the next line, never cut short


def test_the_anchor_owes_payables_due_over_the_next_months_and_one_is_overdue(
    served: Served,
) -> None:
    today = _today()
    owed = served.get(
        "anchor", "/v1/receivables", status="live", limit=100, program_id=served.today["program_id"]
    )["data"]
    due = sorted(date.fromisoformat(p["due_on"]) for p in owed)
    assert len(due) >= 4
    assert all(d > today for d in due)
    assert due[0] <= today + timedelta(days=45) and due[-1] >= today + timedelta(days=100)
    overdue = served.get(
        "anchor", "/v1/receivables", status="overdue", program_id=served.today["program_id"]
    )["data"]
    assert [p["id"] for p in overdue] == [served.today["overdue"]["receivable_id"]]
    assert date.fromisoformat(overdue[0]["due_on"]) < today
    # It acts: the overdue piece is paid today.
    r = served.post("anchor", f"/v1/receivables/{overdue[0]['id']}/settle")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "settled"


def test_the_checker_finds_a_large_confirmation_and_a_match_override_waiting(
    served: Served,
) -> None:
    pending = served.get("anchor-checker", "/v1/approvals", status="pending")["data"]
    by_kind = {a["kind"]: a for a in pending}
    assert {"confirmation", "match_override"} <= set(by_kind)
    story = served.today
    assert by_kind["confirmation"]["id"] == story["pending_confirmation"]["approval_id"]
    assert story["pending_confirmation"]["amount_minor"] > APPROVAL_THRESHOLD_MINOR
    document = served.get("anchor", f"/v1/documents/{story['mismatched_invoice']['document_id']}")
    assert document["status"] == "imported"
    assert document["match_status"] not in ("matched", "erp_approved")
    # The maker may not approve its own request; the checker may, at once.
    r = served.post("anchor", f"/v1/approvals/{by_kind['confirmation']['id']}/approve")
    assert r.status_code == 403, r.text
    r = served.post("anchor-checker", f"/v1/approvals/{by_kind['confirmation']['id']}/approve")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"


def test_the_tier1_supplier_holds_pieces_and_chooses_between_competing_offers(
    served: Served,
) -> None:
    me = served.logins["supplier"].org_id
    held = served.get("supplier", "/v1/receivables", status="live", holder_id=me)["data"]
    assert len(held) >= 2
    requests = served.get("supplier", "/v1/financing_requests", status="open")["data"]
    mine = [r for r in requests if r["holder_id"] == me]
    assert len(mine) == 1
    offers = served.get("supplier", f"/v1/financing_requests/{mine[0]['id']}/offers")["data"]
    funders = {o["funder_id"] for o in offers}
    assert funders == {served.logins["funder"].org_id, served.logins["funder2"].org_id}
    # The open offers on pieces it holds today (an offer the history left unanswered stays
    # open on its long-settled piece).
    live = {r["id"] for r in held}
    early = [
        o
        for o in served.get("supplier", "/v1/early_payment_offers", status="open")["data"]
        if o["receivable_id"] in live
    ]
    assert [o["id"] for o in early] == [served.today["early_payment_offer"]["offer_id"]]
    assert date.fromisoformat(early[0]["value_date"]) >= _today()
    best = min(offers, key=lambda o: (o["discount_minor"], o["id"]))
    r = served.post("supplier", f"/v1/financing_offers/{best['id']}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"


def test_the_tier2_supplier_holds_a_piece_it_can_pass_on(served: Served) -> None:
    me = served.logins["supplier-tier2"].org_id
    held = served.get("supplier-tier2", "/v1/receivables", status="live", holder_id=me)["data"]
    assert held, "the tier-2 supplier holds nothing"
    piece = held[0]
    assert piece["supplier_id"] == served.logins["supplier"].org_id  # it came down the chain
    r = served.post(
        "supplier-tier2",
        f"/v1/receivables/{piece['id']}/transfer",
        {"to_org_id": served.logins["supplier-tier3"].org_id, "amount_minor": 5_000_00},
    )
    assert r.status_code == 200, r.text


def test_the_tier3_supplier_has_a_piece_up_for_financing_that_both_funders_can_bid_on(
    served: Served,
) -> None:
    me = served.logins["supplier-tier3"].org_id
    held = served.get("supplier-tier3", "/v1/receivables", status="live", holder_id=me)["data"]
    assert held, "the tier-3 supplier holds nothing"
    mine = [
        r
        for r in served.get("supplier-tier3", "/v1/financing_requests", status="open")["data"]
        if r["holder_id"] == me
    ]
    assert len(mine) == 1
    value_date = (_today() + timedelta(days=3)).isoformat()
    for funder in ("funder", "funder2"):
        open_ = served.get(funder, "/v1/financing_requests", status="open")["data"]
        assert mine[0]["id"] in {r["id"] for r in open_}, funder
        r = served.post(
            funder,
            f"/v1/financing_requests/{mine[0]['id']}/offers",
            {"annual_rate": "0.05", "value_date": value_date},
        )
        assert r.status_code == 201, r.text


def test_the_summary_names_every_holder_and_invoice_numbers_have_no_blanks(served: Served) -> None:
    holders = [h["holder"] for h in served.summary["receivables_by_holder"]]
    assert holders and not [h for h in holders if h.startswith("org_")], holders
    assert not re.search(r"[A-Z] -20\d\d-", json.dumps(served.summary))  # 'ALB -2026-103'


def test_each_funder_holds_a_piece_it_bought_and_the_operator_sees_the_whole_network(
    served: Served,
) -> None:
    bought = {sale["funder_id"]: sale["receivable_id"] for sale in served.today["sold"]}
    for login in ("funder", "funder2"):
        me = served.logins[login].org_id
        held = served.get(login, "/v1/receivables", status="live", holder_id=me)["data"]
        assert bought[me] in {p["id"] for p in held}, login
        assert all(date.fromisoformat(p["due_on"]) > _today() for p in held)
    orgs = {o["id"] for o in served.get("operator", "/v1/organisations", limit=100)["data"]}
    assert {x.org_id for x in served.logins.values()} <= orgs


def test_the_demo_writes_the_mismatched_invoice_with_its_order_and_despatch_advice(
    served: Served,
) -> None:
    invoice = served.today["mismatched_invoice"]
    assert invoice["match_issues"], "the invoice matched; it should bill more than delivered"
    written = sorted(p.name for p in (served.files / "today").iterdir())
    assert len(written) == 3 and any(invoice["invoice_number"] in name for name in written)


def test_the_readme_says_what_to_try_first_as_the_organisations_the_demo_prints(
    served: Served,
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = " ".join(readme.split("## What to try first", 1)[1].split("\n## ", 1)[0].split())
    assert served.today["program"].startswith(section.split("*")[1])
    for login in served.logins.values():
        assert f"**{login.login}**" in section, login.login
        if login.role not in ("operator", "auditor"):
            assert login.organisation in section, login.organisation


def test_the_today_summary_counts_the_invoices_confirmed_not_pieces(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    from openscf.cli.main import _print_today

    _print_today(served.today)
    printed = " ".join(capsys.readouterr().out.split())
    # The anchor's dashboard counts pieces (split ones and the overdue one too): the
    # summary must not call its invoices 'pieces' with a different count.
    assert f"payables outstanding: {len(served.today['payables'])} invoices confirmed" in printed, (
        printed
    )
    assert "and the overdue piece below" in printed


def test_every_role_finds_scores_prices_and_a_flag_from_the_operators_risk_service(
    served: Served,
) -> None:
    risk = served.today["risk"]
    supplier = served.logins["supplier"].org_id
    scores = served.get("supplier", "/v1/risk_decisions", kind="score")["data"]
    assert [d["org_id"] for d in scores] == [supplier]
    assert scores[0]["output"]["grade"] == risk["scores"][supplier]["grade"]
    # The tier-1 supplier's payables are priced before it asks; so is the tier-3 supplier's
    # piece up for financing, and both funders of the program see its grade and price.
    # (other tests of this module may since have made pieces: those came after the prices)
    held = [
        p
        for p in served.get("supplier", "/v1/receivables", holder_id=supplier, status="live")[
            "data"
        ]
        if p["issued_at"][:10] < scores[0]["decided_on"]
    ]
    priced = {p["receivable_id"] for p in risk["prices"]}
    assert held and {p["id"] for p in held} <= priced
    own = served.get("supplier", f"/v1/receivables/{held[0]['id']}/indicative_price")
    assert own["output"]["rate_bps"] > own["output"]["cost_of_funds_bps"]
    tier3_piece = served.today["open_requests"][-1]["receivable_id"]
    for funder in ("funder", "funder2"):
        price = served.get(funder, f"/v1/receivables/{tier3_piece}/indicative_price")
        assert price["grade"] and price["output"]["rate_bps"] > 0
    other = served.client.get(
        f"/v1/receivables/{held[0]['id']}/indicative_price",
        headers=served._h("supplier-tier3"),
    )
    assert other.status_code == 404
    flags = served.get("anchor", "/v1/fraud_flags", status="open")["data"]
    assert [f["id"] for f in flags] == risk["fraud_flags"]
    decisions = served.get("operator", "/v1/risk_decisions", limit=100)["data"]
    assert len(decisions) == len(risk["scores"]) + len(risk["prices"])
