"""What a treasurer works from, one test per role, in the browser: the supplier's price
before asking, the trade behind each piece and its history; the funder's portfolio with
price, discount, yield and days, settled pieces kept, and the cash previewed before a bid;
the anchor's payables with invoice and supplier, limits in amounts, the approval threshold
and the early-payment discount before the offer is sent; the auditor's custody graph with
names that fit their boxes, and the log's growth against time. Every chart on every page
has a title and axis titles, round tick values and no label outside its box.

Each test builds the data it looks at (tests/web/served.py seeds what all share) and keeps
screenshots under test-artifacts/web/roles-*.png.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select

from openscf.domain import commands as c
from openscf.store import tables as t
from openscf.store.queries import load_exposures

from .conftest import Visit
from .served import LONG_NAME, OUTSIDER_NAME, Site


def row(visit: Visit, table: str, receivable: str) -> Any:
    return visit.page.locator(f'table[data-table="{table}"] tr[data-receivable="{receivable}"]')


def eur(minor: int) -> str:
    return f"{minor // 100:,}.{minor % 100:02d} EUR"


def discount(face: int, annual: Decimal, days: int, basis: int) -> int:
    return int((Decimal(face) * annual * days / basis).quantize(Decimal(1), ROUND_HALF_EVEN))


def program_row(site: Site) -> Any:
    with site.engine.connect() as conn:
        return conn.execute(select(t.programs).where(t.programs.c.id == site.program_id)).one()


def basis_of(site: Site) -> int:
    return {"ACT/360": 360, "ACT/365F": 365}[program_row(site).day_count]


def service(site: Site) -> Any:
    assert site.service is not None and site.extra is not None
    return site.service


def confirm(site: Site, supplier: str, number: str, face: int, days: int) -> str:
    out = service(site).handle(
        site.actors["anchor"].user_id,
        c.ConfirmInvoice(
            site.program_id,
            site.actors[supplier].org_id if supplier in site.actors else supplier,
            number,
            face,
            "EUR",
            site.clock.now().date() + timedelta(days=days),
        ),
    )
    return str(out.created["receivable_id"])


def days_to_maturity(site: Site, piece: str) -> int:
    """From today to the piece's due date (the confirmation rolls it to a business day)."""
    due = site.receivable(piece)["due_on"]
    return int((due - site.clock.now().date()).days)


def charts_are_readable(visit: Visit) -> list[str]:
    """Every drawn chart on the page: a title, axis titles, round numeric ticks, and no
    text outside the chart's box (what the browser measured, in its fonts)."""
    found: list[dict[str, Any]] = visit.page.evaluate("""() => [...document.querySelectorAll(
        'svg.chart[data-empty=false]:not(.custody)')].map(svg => {
          const box = svg.getBoundingClientRect();
          const texts = [...svg.querySelectorAll('text')].map(t => {
            const r = t.getBoundingClientRect();
            return {text: t.textContent, out: r.width > 0 && (r.left < box.left - 1 ||
              r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)};
          });
          const axes = [...svg.querySelectorAll('[aria-roledescription=axis]')]
            .map(a => ({label: a.getAttribute('aria-label'), ticks: [...a.querySelectorAll(
              '.role-axis-label text')].map(t => t.textContent)}));
          return {name: svg.dataset.chart, title: svg.querySelector('title').textContent,
                  texts, axes};
        })""")
    names = []
    for chart in found:
        names.append(chart["name"])
        texts = [x["text"] for x in chart["texts"]]
        assert chart["title"] and chart["title"] in texts, chart
        axes = chart["axes"]
        assert axes and all("titled" in a["label"] for a in axes), axes
        assert not [x["text"] for x in chart["texts"] if x["out"]], chart
        for axis in axes:
            ticks = [
                int(x.replace(",", ""))
                for x in axis["ticks"]
                if re.fullmatch(r"\d{1,3}(,\d{3})+|\d+", x)
            ]
            for a, b in itertools.pairwise(ticks):  # a step of 1, 2, 2.5 or 5 x 10^k
                assert str(abs(b - a)).rstrip("0") in ("1", "2", "25", "5"), (axis, ticks)
        assert not any(re.fullmatch(r"[\d.]+[kM]", x) for x in texts), texts
    return names


def test_the_supplier_sees_the_price_before_asking_the_invoice_behind_each_piece_and_what_became_of_pieces_it_sold(  # noqa: E501
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    supplier, anchor = site.actors["supplier"], site.actors["anchor"]
    piece = confirm(site, "supplier", "ROLE-SUP-1", 64_000_00, 75)
    today, days = site.clock.now().date(), days_to_maturity(site, piece)
    # The rule, computed here from the stored offers: the median accepted rate on this
    # anchor in the program over the last 180 days (the seed sold three at 4, 5 and 6 %,
    # by three sellers), to the nearest 0.05 %.
    with site.engine.connect() as conn:
        o, f, r = t.financing_offers, t.financing_requests, t.receivables
        deals = conn.execute(
            select(o.c.annual_rate, o.c.fees_minor, r.c.face_minor, f.c.holder_id)
            .join(f, f.c.id == o.c.request_id)
            .join(r, r.c.id == f.c.receivable_id)
            .where(
                o.c.status == "accepted",
                f.c.program_id == site.program_id,
                r.c.obligor_id == anchor.org_id,
                o.c.value_date >= today - timedelta(days=180),
                o.c.value_date <= today,
            )
        ).all()
    assert len(deals) >= 3 and len({d[3] for d in deals}) >= 3
    rates = sorted(Decimal(d[0]) for d in deals)
    lower_median = rates[(len(rates) - 1) // 2]
    median = (lower_median * 2000).quantize(Decimal(1), ROUND_HALF_EVEN) / 2000
    fee_share = sorted(Decimal(d[1]) / d[2] for d in deals)[(len(deals) - 1) // 2]
    fees = int((fee_share * 64_000_00).to_integral_value())
    cash = 64_000_00 - discount(64_000_00, median, days, basis_of(site)) - fees

    visit = open_as("supplier")
    visit.go("/supplier")
    line = row(visit, "held", piece)
    assert line.locator("[data-invoice]").inner_text().strip() == "ROLE-SUP-1"
    assert line.locator("[data-debtor]").inner_text().strip() == anchor.name
    price = line.locator("[data-indication]")
    assert (
        int(price.locator("[data-indicative-cash]").get_attribute("data-indicative-cash")) == cash
    ), (price.inner_text(), median, fee_share, len(deals), today)
    assert eur(cash) in price.inner_text()
    assert "no platform fees" in price.inner_text()
    rate_text = f"{median * 100:.2f} % p.a."
    assert rate_text in price.inner_text()
    # Transfer candidates: the other suppliers of the program, nobody else.
    with site.engine.connect() as conn:
        members = set(
            conn.execute(
                select(t.relationships.c.supplier_id).where(
                    t.relationships.c.program_id == site.program_id
                )
            ).scalars()
        )
    options = line.locator("select[name=to_org_id] option")
    offered = {options.nth(i).get_attribute("value") for i in range(options.count())}
    # No recipient is chosen for the supplier: the first option only asks whom to pay.
    assert options.nth(0).get_attribute("value") == "" and options.nth(0).is_disabled()
    assert line.locator("select[name=to_org_id]").input_value() == ""
    assert offered - {""} == members - {supplier.org_id}
    assert OUTSIDER_NAME not in line.inner_text()
    assert site.extra and site.extra["outsider"] not in offered
    visit.shot("roles-supplier-held")
    names = charts_are_readable(visit)
    assert "receivables-by-maturity" in names

    # Sold: it leaves the holdings, stays in the history, and its page says what happened.
    line.locator("form[data-form=finance] button").click()
    request = visit.flash_ref()
    # Every column of the holdings, the asked-for piece's note too, fits a laptop's card.
    assert "financing requested" in row(visit, "held", piece).inner_text()
    assert visit.page.locator("section#held").evaluate("c => c.scrollWidth <= c.clientWidth")
    offer = (
        service(site)
        .handle(site.actors["funder"].user_id, c.OfferFinancing(request, "0.05", today))
        .created["offer_id"]
    )
    visit.go("/supplier")
    visit.page.locator(f'tr[data-offer="{offer}"] button', has_text="Accept").click()
    assert "Offer accepted" in visit.flash()
    assert visit.flash_ref() == piece  # the piece it held, which it may open
    assert row(visit, "held", piece).count() == 0
    sold = row(visit, "history", piece)
    proceeds = 64_000_00 - discount(64_000_00, Decimal("0.05"), days, basis_of(site))
    assert f"sold to {site.actors['funder'].name}" in sold.locator("[data-outcome]").inner_text()
    assert eur(proceeds) in sold.inner_text() and "ROLE-SUP-1" in sold.inner_text()
    visit.shot("roles-supplier-history")
    response = visit.go(f"/receivables/{piece}")
    assert response.status == 200
    outcome = visit.page.locator("[data-outcome]").inner_text()
    assert f"sold to {site.actors['funder'].name}" in outcome and eur(proceeds) in outcome
    assert "ROLE-SUP-1" in visit.page.locator("[data-kpi=invoice]").inner_text()
    visit.shot("roles-supplier-sold-piece")
    visit.assert_clean()


def test_the_funder_previews_the_cash_before_bidding_and_sees_price_discount_yield_and_days_per_piece_also_once_settled(  # noqa: E501
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    supplier = site.actors["supplier"]
    face, basis = 48_000_00, basis_of(site)
    piece = confirm(site, "supplier", "ROLE-FUN-1", face, 40)
    days = days_to_maturity(site, piece)
    request = (
        service(site).handle(supplier.user_id, c.RequestFinancing(piece)).created["request_id"]
    )

    visit = open_as("funder")
    visit.go("/funder")
    form = visit.page.locator(f'tr[data-request="{request}"] form[data-form=offer]')
    form.locator("input[name=annual_rate]").fill("4.75")
    form.locator("input[name=fees]").fill("25")
    expected_discount = discount(face, Decimal("0.0475"), days, basis)
    pays = face - expected_discount - 25_00
    preview = form.locator("[data-preview-out]").inner_text()
    assert f"You would pay {eur(pays)}" in preview, preview
    assert f"discount {eur(expected_discount)} for {days} days" in preview
    visit.shot("roles-funder-preview")
    form.locator("button", has_text="Offer").click()
    assert "Offer sent" in visit.flash()
    mine = visit.page.locator(f'tr[data-request="{request}"] [data-my-offer]').inner_text()
    assert "4.75 % p.a." in mine and eur(pays) in mine  # the preview was the offer
    offer = visit.page.locator(f'tr[data-request="{request}"] [data-my-offer]').get_attribute(
        "data-my-offer"
    )
    service(site).handle(supplier.user_id, c.AcceptFinancingOffer(offer))

    visit.go("/funder")
    with site.engine.connect() as conn:
        bought = conn.execute(
            select(t.receivables.c.id).where(t.receivables.c.parent_id == piece)
        ).scalar_one()
    held = row(visit, "portfolio", bought)
    assert held.locator("[data-price]").inner_text() == eur(pays)
    assert eur(expected_discount) in held.inner_text() and "4.75 % p.a." in held.inner_text()
    # Face - price is discount + fees: the fees are shown too, so the columns add up.
    assert "+ fees 25.00 EUR" in held.locator("[data-discount]").inner_text()
    annual = (Decimal(face - pays) * basis / (Decimal(pays) * days)).quantize(Decimal("0.0001"))
    assert held.locator("[data-yield]").inner_text() == f"{annual * 100:.2f} % p.a."
    assert held.locator("[data-days-left]").inner_text() == str(days)
    assert "ROLE-FUN-1" in held.inner_text() and supplier.name in held.inner_text()
    text = visit.page.locator("main").inner_text()
    rates = re.findall(r"(\d+(?:\.\d+)?) % p\.a\.", text)  # one rate format everywhere
    assert rates and all(re.fullmatch(r"\d+\.\d{2,3}", x) for x in rates), rates
    assert not re.search(r"\d%", text)  # never the old '4.5%'
    names = charts_are_readable(visit)
    assert {
        "portfolio-by-maturity",
        "portfolio-by-anchor",
        "cash-deployed",
        "funder-limits",
    } <= set(names)
    visit.shot("roles-funder-portfolio")

    # Settled at maturity: the piece leaves the portfolio and stays in the history.
    due = site.clock.now().date() + timedelta(days=days)
    site.advance_to(datetime(due.year, due.month, due.day, 9, tzinfo=UTC))
    service(site).handle(site.actors["anchor"].user_id, c.SettleReceivable(bought))
    visit.go("/funder")
    assert row(visit, "portfolio", bought).count() == 0
    closed = row(visit, "funder-history", bought)
    assert "paid at maturity" in closed.locator("[data-outcome]").inner_text()
    assert closed.locator("[data-price]").inner_text() == eur(pays)
    visit.shot("roles-funder-history")
    visit.assert_clean()


def test_the_anchor_sees_invoice_and_supplier_per_payable_limits_in_amounts_the_approval_threshold_and_the_discount_before_offering_early_payment(  # noqa: E501
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    supplier = site.actors["supplier-tier2"]
    face, basis = 36_500_00, basis_of(site)
    piece = confirm(site, "supplier-tier2", "ROLE-ANC-1", face, 90)
    days = days_to_maturity(site, piece)
    program = program_row(site)

    visit = open_as("anchor")
    visit.go("/anchor")
    line = row(visit, "payables", piece)
    assert line.locator("[data-invoice]").inner_text() == "ROLE-ANC-1"
    assert line.locator("[data-original-supplier]").inner_text() == supplier.name
    threshold = visit.page.locator("[data-approval-threshold]").inner_text()
    assert eur(program.approval_threshold_minor) in threshold
    limits = visit.page.locator("table[data-table=limits]").inner_text()
    heads = visit.page.locator("table[data-table=limits] th").all_inner_texts()
    assert len(set(heads)) == len(heads), heads  # no two columns called 'Limit'
    assert eur(program.program_limit_minor) in limits
    assert eur(program.funder_limit_minor) in limits
    with site.engine.connect() as conn:
        used = load_exposures(conn).get(f"program:{site.program_id}", 0)
    assert used > 0
    assert eur(used) in limits and eur(program.program_limit_minor - used) in limits
    # The discount before the offer: at the proposed 3 % from today, then at a typed rate.
    early = line.locator("form[data-form=early]")
    preview = early.locator("[data-preview-out]")
    at_three = discount(face, Decimal("0.03"), days, basis)
    assert f"Discount {eur(at_three)} for {days} days" in preview.inner_text()
    early.locator("input[name=annual_rate]").fill("2.5")
    at_typed = discount(face, Decimal("0.025"), days, basis)
    assert f"Discount {eur(at_typed)}" in preview.inner_text()
    assert f"you pay {eur(face - at_typed)}" in preview.inner_text()
    visit.shot("roles-anchor-payables")
    names = charts_are_readable(visit)
    assert {"payables-by-due-date", "program-limits"} <= set(names)
    early.locator("button").click()
    assert "Early payment offered" in visit.flash()
    offers = visit.page.locator("table[data-table=early-offers]").inner_text()
    assert eur(at_typed) in offers and "2.50 % p.a." in offers  # what was previewed
    visit.shot("roles-anchor-early-offer")
    # The piece's events say what the offer was, in words, not an empty line.
    visit.go(f"/receivables/{piece}")
    offered = visit.page.locator("tr", has_text="EarlyPaymentOffered").inner_text()
    assert f"early payment offered to {supplier.name}" in offered, offered
    assert eur(face - at_typed) in offered and "2.50 % p.a." in offered, offered
    visit.assert_clean()


def test_the_auditor_sees_names_that_fit_their_boxes_in_the_custody_graph_and_the_log_growing_over_time(  # noqa: E501
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    assert site.extra is not None
    root = confirm(site, "supplier", "ROLE-AUD-1", 90_000_00, 80)
    moved = (
        service(site)
        .handle(
            site.actors["supplier"].user_id,
            c.TransferReceivable(root, site.extra["long_org"], 30_000_00),
        )
        .created
    )
    passed = str(moved["new_receivable_id"])
    service(site).handle(
        site.extra["long_user"],
        c.TransferReceivable(passed, site.actors["supplier-tier2"].org_id, 10_000_00),
    )

    visit = open_as("auditor")
    visit.go("/auditor")
    growth = visit.page.locator('svg[data-chart="log-growth"]')
    axes = [
        growth.locator("[aria-roledescription=axis]").nth(i).get_attribute("aria-label")
        for i in range(growth.locator("[aria-roledescription=axis]").count())
    ]
    assert any("time scale" in a for a in axes), axes  # x is time, not checkpoint order
    points = growth.locator(".mark[data-value]")
    sizes = [float(points.nth(i).get_attribute("data-value")) for i in range(points.count())]
    assert sizes == sorted(sizes) and sizes[-1] <= site.log_size()
    names = charts_are_readable(visit)
    assert {"log-growth", "events-by-type"} <= set(names)
    visit.shot("roles-auditor-page")

    visit.go(f"/receivables/{passed}")
    boxes: list[dict[str, Any]] = visit.page.evaluate("""() => [...document.querySelectorAll(
        'svg[data-chart=chain-of-custody] rect.node')].map(rect => {
          const r = rect.getBoundingClientRect();
          const texts = [];
          let el = rect.nextElementSibling;
          while (el && el.tagName === 'text') {
            const b = el.getBoundingClientRect();
            texts.push({text: el.textContent, left: b.left, right: b.right, top: b.top,
                        bottom: b.bottom});
            el = el.nextElementSibling;
          }
          return {node: rect.dataset.node, left: r.left, right: r.right, top: r.top,
                  bottom: r.bottom, texts};
        })""")
    assert len(boxes) >= 4, boxes
    shown = " ".join(x["text"] for b in boxes for x in b["texts"])
    assert "Schmidt & Söhne" in shown
    for box in boxes:
        assert box["texts"], box
        for text in box["texts"]:
            assert box["left"] <= text["left"] and text["right"] <= box["right"], (box, text)
            assert box["top"] <= text["top"] and text["bottom"] <= box["bottom"], (box, text)
    for a in boxes:
        for b in boxes:
            if a is not b:
                apart = (
                    a["right"] <= b["left"]
                    or b["right"] <= a["left"]
                    or a["bottom"] <= b["top"]
                    or b["bottom"] <= a["top"]
                )
                assert apart, (a["node"], b["node"])
    title = visit.page.locator("svg[data-chart=chain-of-custody] rect.node title")
    assert any(LONG_NAME in (title.nth(i).text_content() or "") for i in range(title.count()))
    visit.shot("roles-auditor-custody")
    visit.assert_clean()
