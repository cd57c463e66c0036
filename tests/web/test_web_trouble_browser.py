"""Trade gone wrong, in the browser: the anchor pays part of a due piece, and the funder puts
back a defaulted piece of a program with recourse (the seller then owes it). The operator's
default maker-checker and recovery are driven over HTTP in test_web_trouble_forms.py.

The served site's clock only moves forward, and only to what these pieces need (a few days
past their due dates), which the other tests' seeded pieces outlast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from openscf.domain import commands as c

from .conftest import Visit
from .served import Site


def _advance_to(site: Site, day: date) -> None:
    if site.clock.now().date() < day:
        site.advance_to(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))


def _due_on(site: Site, rid: str) -> date:
    """The piece's due date (the calendar may have moved it to a business day)."""
    due = site.receivable(rid)["due_on"]
    return due if isinstance(due, date) else date.fromisoformat(str(due))


def test_the_anchor_pays_part_of_a_due_piece_in_the_browser(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    assert site.service is not None
    anchor, other = site.actors["anchor"], site.actors["supplier-other"]
    due = site.clock.now().date() + timedelta(days=3)
    rid = str(
        site.service.handle(
            anchor.user_id,
            c.ConfirmInvoice(site.program_id, other.org_id, "PART-PAY-1", 40_000_00, "EUR", due),
        ).created["receivable_id"]
    )
    _advance_to(site, _due_on(site, rid))
    visit = open_as("anchor")
    visit.go("/anchor")
    row = visit.page.locator(f'#payables tr[data-receivable="{rid}"]')
    row.locator("form[data-form=pay-part] input[name=amount]").fill("15,000.00")
    row.locator("form[data-form=pay-part] button").click()
    visit.page.wait_for_load_state()
    assert "Pay 15,000.00 EUR of the piece" in visit.say_yes()
    visit.page.wait_for_load_state()
    assert "Payment recorded" in visit.flash()
    paid = visit.page.locator(f'table[data-table=partly-paid] tr[data-receivable="{rid}"]')
    assert paid.locator("[data-paid]").inner_text() == "15,000.00 EUR"
    assert paid.locator("[data-outstanding]").inner_text() == "25,000.00 EUR"
    assert site.receivable(rid)["paid_minor"] == 15_000_00
    visit.shot("anchor-partial-payment")
    visit.assert_clean()
    # A typed amount in another format: one line next to the form, nothing paid.
    visit.page.locator(
        f'#payables tr[data-receivable="{rid}"] form[data-form=pay-part] input[name=amount]'
    ).fill("1.000,00")
    visit.page.locator(
        f'#payables tr[data-receivable="{rid}"] form[data-form=pay-part] button'
    ).click()
    visit.page.wait_for_load_state()
    error = visit.page.locator("#payables .form-error")
    assert error.get_attribute("data-error-code") == "invalid_amount"
    assert "\n" not in error.inner_text().strip()
    assert site.receivable(rid)["paid_minor"] == 15_000_00
    # The browser reports the refusal's 4xx status; nothing else went wrong.
    assert [p for p in visit.problems if "status of 400" not in p] == []


def _defaulted_in_recourse_program(site: Site) -> tuple[str, str]:
    """A recourse program where supplier-other sold a piece to the funder, defaulted since.
    Returns (program, the piece the funder holds)."""
    assert site.service is not None
    svc = site.service
    anchor, seller, funder = (
        site.actors["anchor"],
        site.actors["supplier-other"],
        site.actors["funder"],
    )
    program = str(
        svc.handle(
            anchor.user_id,
            c.CreateProgram(
                "Web recourse",
                "EUR",
                180,
                10**10,
                10**9,
                10**9,
                approval_threshold_minor=10**12,
                default_after_days=1,
                recourse=True,
                recourse_days=20,
            ),
        ).created["program_id"]
    )
    svc.handle(anchor.user_id, c.AddFunder(program, funder.org_id))
    svc.handle(anchor.user_id, c.OnboardSupplier(program, seller.org_id))
    due = site.clock.now().date() + timedelta(days=3)
    rid = str(
        svc.handle(
            anchor.user_id,
            c.ConfirmInvoice(program, seller.org_id, "RECOURSE-1", 12_000_00, "EUR", due),
        ).created["receivable_id"]
    )
    request = svc.handle(seller.user_id, c.RequestFinancing(rid)).created["request_id"]
    offer = svc.handle(
        funder.user_id, c.OfferFinancing(str(request), "0.05", site.clock.now().date())
    ).created["offer_id"]
    bought = str(
        svc.handle(seller.user_id, c.AcceptFinancingOffer(str(offer))).created["new_receivable_id"]
    )
    _advance_to(site, _due_on(site, bought) + timedelta(days=3))
    svc.handle(anchor.user_id, c.MarkOverdue(bought))
    svc.handle(anchor.user_id, c.MarkDefaulted(bought))
    return program, bought


def test_the_funder_puts_back_a_defaulted_piece_in_the_browser(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    _, bought = _defaulted_in_recourse_program(site)
    funder = open_as("funder")
    funder.go("/funder")
    row = funder.page.locator(
        f'table[data-table=put-back-candidates] tr[data-receivable="{bought}"]'
    )
    row.locator("form[data-form=put-back] button").click()
    funder.page.wait_for_load_state()
    assert "Piece put back" in funder.flash()
    assert site.receivable(bought)["status"] == "put_back"
    owed = funder.page.locator("table[data-table=recourse-owed-to-you] tbody tr")
    assert "12,000.00 EUR" in owed.last.inner_text() or "12,000.00 EUR" in " ".join(
        owed.all_inner_texts()
    )
    assert (
        funder.page.locator(f'tr[data-receivable="{bought}"] form[data-form=put-back]').count() == 0
    )
    funder.shot("funder-put-back")
    funder.assert_clean()
    seller = open_as("supplier-other")
    seller.go("/supplier")
    assert (
        "Pay 12,000.00 EUR"
        in seller.page.locator("table[data-table=recourse-you-owe]").inner_text()
    )
    seller.assert_clean()
