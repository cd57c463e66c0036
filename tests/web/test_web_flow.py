"""The main flow, in a real browser, one role after another: the anchor confirms (and a
large confirmation goes through maker-checker), the supplier splits and passes a piece to
its tier-2 supplier, which asks for financing; two funders bid, the best offer is
accepted; at maturity the anchor settles; the auditor verifies the log and draws the
piece's chain of custody.

The clock: the server runs on the test's FixedClock (see served.py); before settling, the
test moves it to the maturity date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select

from openscf.store import tables as t

from .conftest import Visit
from .served import WITNESS, Site


def row(visit: Visit, table: str, **attrs: str):  # type: ignore[no-untyped-def]
    selector = "".join(f'[data-{k.replace("_", "-")}="{v}"]' for k, v in attrs.items())
    return visit.page.locator(f'table[data-table="{table}"] tr{selector}')


def marks(visit: Visit, chart: str) -> int:
    return int(visit.page.locator(f'svg[data-chart="{chart}"] .mark[data-value]').count())


def test_a_receivable_goes_from_confirmation_down_the_chain_to_financing_and_settlement(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    actors = site.actors
    supplier, tier2 = actors["supplier"], actors["supplier-tier2"]
    funder = actors["funder"]
    with site.engine.connect() as conn:
        threshold = conn.execute(
            select(t.programs.c.approval_threshold_minor).where(t.programs.c.id == site.program_id)
        ).scalar_one()

    # 1. The anchor confirms an invoice of its tier-1 supplier: a receivable is issued.
    anchor = open_as("anchor")
    anchor.go("/anchor")
    anchor.shot("01-anchor-before")
    assert marks(anchor, "payables-by-due-date") > 0
    assert marks(anchor, "program-limits") > 0
    form = anchor.page.locator("form[data-form=confirm]")
    form.locator("select[name=supplier_id]").select_option(label=supplier.name)
    form.locator("input[name=invoice_number]").fill("WEB-FLOW-1")
    form.locator("input[name=amount]").fill("120,000.00")
    due = date.fromisoformat(form.locator("input[name=due_on]").input_value())
    form.locator("button[type=submit]").click()
    assert anchor.say_yes() == (
        f"Confirm 120,000.00 EUR to {supplier.name}, due {due.isoformat()}?"
    )
    assert "Invoice confirmed" in anchor.flash()
    root = anchor.flash_ref()
    assert site.receivable(root)["face_minor"] == 120_000_00
    assert "120,000.00 EUR" in row(anchor, "payables", receivable=root).inner_text()

    # ... and one above the approval threshold waits for a second user (maker-checker).
    big = threshold + 100_000_00
    form = anchor.page.locator("form[data-form=confirm]")
    form.locator("select[name=supplier_id]").select_option(label=supplier.name)
    form.locator("input[name=invoice_number]").fill("WEB-FLOW-BIG")
    form.locator("input[name=amount]").fill(f"{big // 100}.00")
    form.locator("button[type=submit]").click()
    assert f"Confirm {big // 100:,}.00 EUR to" in anchor.say_yes()
    assert "waits for a second user" in anchor.flash()
    approval = anchor.flash_ref()
    pending = row(anchor, "approvals", approval=approval)
    assert "needs another user" in pending.inner_text()
    assert pending.locator("button").count() == 0  # the maker gets no approve button
    anchor.shot("02-anchor-confirmed")
    anchor.assert_clean()

    checker = open_as("anchor-checker")
    checker.go("/anchor")
    with site.engine.connect() as conn:  # the checker knows the maker by name, not by id
        maker = conn.execute(
            select(t.users.c.name).where(t.users.c.id == site.actors["anchor"].user_id)
        ).scalar_one()
    waiting = row(checker, "approvals", approval=approval).inner_text()
    assert maker in waiting and "usr_" not in waiting, waiting
    row(checker, "approvals", approval=approval).locator("button", has_text="Approve").click()
    assert "Confirmation approved" in checker.flash()
    assert row(checker, "approvals", approval=approval).count() == 0
    with site.engine.connect() as conn:
        issued = conn.execute(
            select(t.receivables.c.face_minor)
            .join(t.invoices, t.invoices.c.receivable_id == t.receivables.c.id)
            .where(t.invoices.c.number == "WEB-FLOW-BIG")
        ).scalar_one()
    assert issued == big
    checker.shot("03-anchor-checker-approved")
    checker.assert_clean()

    # 2. The supplier splits its receivable and passes one piece to its tier-2 supplier.
    s1 = open_as("supplier")
    s1.go("/supplier")
    assert "120,000.00 EUR" in row(s1, "held", receivable=root).inner_text()
    assert marks(s1, "receivables-by-maturity") > 0
    s1.shot("04-supplier-before")
    split = row(s1, "held", receivable=root).locator("form[data-form=split]")
    split.locator("input[name=amounts]").fill("70000 50000")
    split.locator("button").click()
    assert s1.say_yes() == "Split the piece into 70,000.00 EUR and 50,000.00 EUR?"
    assert "Receivable split" in s1.flash()
    assert row(s1, "held", receivable=root).count() == 0
    pieces = {
        p["face_minor"]: p["id"]
        for p in site.pieces_held(supplier.org_id)
        if p["parent_id"] == root
    }
    assert set(pieces) == {70_000_00, 50_000_00}
    part = pieces[50_000_00]
    transfer = row(s1, "held", receivable=part).locator("form[data-form=transfer]")
    transfer.locator("select[name=to_org_id]").select_option(label=tier2.name)
    transfer.locator("button").click()
    assert "Receivable transferred" in s1.flash()
    assert row(s1, "held", receivable=part).count() == 0
    assert row(s1, "held", receivable=pieces[70_000_00]).count() == 1
    s1.shot("05-supplier-split-and-transferred")
    s1.assert_clean()

    # 3. The tier-2 supplier holds the piece and asks for financing.
    s2 = open_as("supplier-tier2")
    s2.go("/supplier")
    (passed,) = [p["id"] for p in site.pieces_held(tier2.org_id) if p["parent_id"] == part]
    held = row(s2, "held", receivable=passed)
    assert "50,000.00 EUR" in held.inner_text()
    assert actors["anchor"].name in held.inner_text()
    held.locator("form[data-form=finance] button").click()
    assert "Financing requested" in s2.flash()
    request = s2.flash_ref()
    assert "No offers yet" in s2.page.locator(f'[data-request="{request}"]').inner_text()
    s2.shot("06-tier2-financing-requested")
    s2.assert_clean()

    # 4. Both funders of the program bid; each sees the request, neither the other's bid.
    bids = {"funder": "4.5", "funder2": "6"}
    shown_rates = {"4.5": "4.50 % p.a.", "6": "6.00 % p.a."}
    for name, rate in bids.items():
        f = open_as(name)
        f.go("/funder")
        bid = row(f, "requests", request=request)
        assert tier2.name in bid.inner_text() and "50,000.00 EUR" in bid.inner_text()
        bid.locator("input[name=annual_rate]").fill(rate)
        bid.locator("button", has_text="Offer").click()
        assert "Offer sent" in f.flash()
        mine = row(f, "requests", request=request).inner_text()
        assert shown_rates[rate] in mine
        assert not any(shown_rates[r] in mine for n, r in bids.items() if n != name)
        f.shot(f"07-{name}-offered")
        f.assert_clean()

    # 5. The tier-2 supplier sees the offers side by side with the cash each gives.
    s2.go("/supplier")
    offers = s2.page.locator(f'[data-request="{request}"] table[data-table=offers] tr[data-offer]')
    assert offers.count() == 2
    assert marks(s2, f"offers-{request}") == 2
    # Discounted to the piece's maturity: the due date rolled to a business day.
    maturity = site.receivable(root)["due_on"]
    face, days = Decimal(50_000_00), (maturity - site.clock.now().date()).days
    shown = {}
    for i in range(2):
        line = offers.nth(i)
        text = line.inner_text()
        rate = Decimal("0.045") if "4.50 % p.a." in text else Decimal("0.06")
        expected = face - (face * rate * days / 360).quantize(Decimal(1), ROUND_HALF_EVEN)
        assert int(line.locator("[data-proceeds]").get_attribute("data-proceeds")) == expected
        shown[rate] = (line, "best" in (line.get_attribute("class") or ""))
    assert shown[Decimal("0.045")][1] and not shown[Decimal("0.06")][1]
    assert funder.name in shown[Decimal("0.045")][0].inner_text()
    s2.shot("08-tier2-offers-side-by-side")
    shown[Decimal("0.045")][0].locator("button", has_text="Accept").click()
    assert "Offer accepted" in s2.flash()
    assert s2.flash_ref() == passed  # the piece it sold, which it may still open
    with site.engine.connect() as conn:
        sold = conn.execute(
            select(t.receivables.c.id).where(t.receivables.c.parent_id == passed)
        ).scalar_one()
    assert row(s2, "held", receivable=passed).count() == 0
    assert site.receivable(sold)["holder_id"] == funder.org_id
    s2.assert_clean()

    # 6. The funder's portfolio now holds the piece, charted by anchor and maturity.
    f1 = open_as("funder")
    f1.go("/funder")
    assert "50,000.00 EUR" in row(f1, "portfolio", receivable=sold).inner_text()
    for chart in ("portfolio-by-maturity", "portfolio-by-anchor", "cash-deployed", "funder-limits"):
        assert marks(f1, chart) > 0, chart
    assert f1.page.locator("[data-kpi=yield] .kpi-value").inner_text().endswith(" % p.a.")
    f1.shot("09-funder-portfolio")
    f1.assert_clean()

    # 7. At maturity the anchor settles the piece: the funder is paid the face.
    site.advance_to(datetime(due.year, due.month, due.day, 9, tzinfo=UTC))
    anchor.go("/anchor")
    settle = row(anchor, "payables", receivable=sold)
    assert "50,000.00 EUR" in settle.locator("button", has_text="Settle").inner_text()
    settle.locator("button", has_text="Settle").click()
    assert "Receivable settled" in anchor.flash()
    assert site.receivable(sold)["status"] == "settled"
    assert row(anchor, "payables", receivable=sold).count() == 0
    anchor.shot("10-anchor-settled")
    anchor.assert_clean()

    # 8. The auditor sees the log, verifies it, and draws the piece's chain of custody.
    auditor = open_as("auditor")
    auditor.go("/auditor")
    assert auditor.page.locator("[data-kpi=log-size] .kpi-value").inner_text() == str(
        site.log_size()
    )
    assert marks(auditor, "log-growth") > 0 and marks(auditor, "events-by-type") > 0
    witnesses = auditor.page.locator("table[data-table=witnesses]").inner_text()
    assert WITNESS in witnesses and funder.name in witnesses
    auditor.page.click("form[data-form=verify] button")
    result = auditor.page.locator("[data-verification]")
    result.wait_for()
    assert result.get_attribute("data-verification") == "ok", result.inner_text()
    assert "Verification passed" in result.inner_text()
    assert auditor.page.url.endswith("/auditor")  # updated in place, htmx-style
    auditor.shot("11-auditor-verified")
    auditor.page.fill("form[data-form=custody] input[name=receivable_id]", sold)
    auditor.page.click("form[data-form=custody] button")
    graph = auditor.page.locator('svg[data-chart="chain-of-custody"]')
    nodes = graph.locator("rect.node")
    # The root, its two split pieces, the piece passed to tier 2, and the funder's piece.
    assert nodes.count() == 5
    edges = [
        graph.locator("path.edge").nth(i).get_attribute("data-edge")
        for i in range(graph.locator("path.edge").count())
    ]
    assert sorted(edges) == ["financing", "split", "split", "transfer"]
    focus = graph.locator(f'rect.node[data-node="{sold}"]')
    assert focus.get_attribute("data-status") == "settled"
    events = auditor.page.locator("table[data-table=custody-events]").inner_text()
    for kind in (
        "ReceivableIssued",
        "ReceivableSplit",
        "ReceivableTransferred",
        "FinancingOfferAccepted",
        "ReceivableSettled",
    ):
        assert kind in events
    auditor.shot("12-auditor-chain-of-custody")
    auditor.assert_clean()
