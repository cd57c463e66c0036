"""Each role's page in the browser: its charts draw the real figures, it fits a laptop
screen without errors, and what it refuses (wrong logins, other organisations' records,
forms without the CSRF token, bad input) it refuses with a message and no change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from openscf.store import tables as t

from .conftest import Visit
from .served import HOSTILE_NAME, Site

# The charts of each page that must draw data on the seeded demo (served.py).
CHARTS = {
    "anchor": ("payables-by-due-date", "program-limits"),
    "supplier-other": ("receivables-by-maturity",),
    "funder": ("portfolio-by-maturity", "portfolio-by-anchor", "cash-deployed", "funder-limits"),
    "auditor": ("log-growth", "events-by-type"),
}
PAGES = {
    "anchor": "/anchor",
    "supplier-other": "/supplier",
    "funder": "/funder",
    "auditor": "/auditor",
}


def chart_values(visit: Visit, chart: str) -> list[float]:
    marks = visit.page.locator(f'svg[data-chart="{chart}"] .mark[data-value]')
    return [float(marks.nth(i).get_attribute("data-value")) for i in range(marks.count())]


@pytest.mark.parametrize("login", list(PAGES))
def test_each_role_page_draws_its_charts_and_fits_a_laptop_screen_without_errors(
    site: Site, open_as: Callable[[str], Visit], login: str
) -> None:
    visit = open_as(login)
    response = visit.go(PAGES[login])
    assert response.status == 200
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    for chart in CHARTS[login]:
        svg = visit.page.locator(f'svg[data-chart="{chart}"]')
        assert svg.get_attribute("data-empty") == "false", chart
        assert svg.is_visible(), chart
        assert chart_values(visit, chart), f"{chart} drew no data"
    visit.shot(f"page-{login}")
    visit.assert_clean()


def test_names_with_markup_are_shown_as_text_and_never_run(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    supplier = open_as("supplier-other")
    supplier.go("/supplier")
    recipients = supplier.page.locator("select[name=to_org_id]").first.inner_text()
    assert HOSTILE_NAME in recipients
    anchor = open_as("anchor")
    anchor.go("/anchor")
    assert HOSTILE_NAME in anchor.page.locator("#confirm select[name=supplier_id]").inner_text()
    # Neither form picks a supplier for the person: the first option asks whom.
    assert anchor.page.locator("#confirm select[name=supplier_id]").input_value() == ""
    assert supplier.page.locator("select[name=to_org_id]").first.input_value() == ""
    for visit in (supplier, anchor):
        assert visit.page.locator("main img, main script").count() == 0
        visit.assert_clean()  # an inline handler would also show as a CSP violation


def test_the_charts_draw_the_amounts_held_in_the_database(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    other = site.actors["supplier-other"]
    with site.engine.connect() as conn:
        held = (
            conn.execute(
                select(t.receivables.c.face_minor).where(
                    t.receivables.c.holder_id == other.org_id, t.receivables.c.status == "live"
                )
            )
            .scalars()
            .all()
        )
        owed = (
            conn.execute(
                select(t.receivables.c.face_minor).where(
                    t.receivables.c.obligor_id == site.actors["anchor"].org_id,
                    t.receivables.c.status.in_(("live", "overdue", "defaulted")),
                )
            )
            .scalars()
            .all()
        )
    supplier = open_as("supplier-other")
    supplier.go("/supplier")
    assert sum(held) == 125_000_00  # the two pieces seeded for it, one was sold
    assert sum(chart_values(supplier, "receivables-by-maturity")) == pytest.approx(sum(held) / 100)
    anchor = open_as("anchor")
    anchor.go("/anchor")
    assert sum(chart_values(anchor, "payables-by-due-date")) == pytest.approx(sum(owed) / 100)


def test_a_wrong_password_is_refused_on_the_login_page_with_a_message(
    site: Site, browser: object
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site.base_url + "/anchor")
    assert page.url.endswith("/login")  # not logged in: sent to the login page
    page.fill("input[name=login]", "anchor")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.url.endswith("/login")
    assert "Wrong login or password" in page.locator("[role=alert]").inner_text()
    assert "openscf_session" not in {c["name"] for c in context.cookies()}
    context.close()


def test_a_supplier_cannot_open_or_move_another_suppliers_receivable(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    theirs = site.seeded[0]  # held by supplier-other, never in supplier's chain
    face = site.receivable(theirs)["face_minor"]
    visit = open_as("supplier")
    response = visit.go(f"/receivables/{theirs}")
    assert response.status == 404
    body = visit.page.locator("main").inner_text()
    assert "Receivable not found" in body
    assert site.actors["supplier-other"].name not in body
    assert f"{face // 100:,}" not in body
    # Not on its own page either, and a forged form with a valid CSRF token is refused.
    visit.go("/supplier")
    assert theirs not in visit.page.content()
    csrf = visit.page.locator("input[name=csrf_token]").first.get_attribute("value")
    before = site.log_size()
    response = visit.page.request.post(
        site.base_url + "/supplier/actions/split",
        form={"csrf_token": csrf, "receivable_id": theirs, "amounts": "40000 40000"},
    )
    assert response.status == 404
    assert "no receivable" in response.text()
    assert site.log_size() == before
    assert site.receivable(theirs)["status"] == "live"


def test_a_supplier_cannot_open_the_anchor_funder_or_auditor_pages(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    visit = open_as("supplier")
    for path in ("/anchor", "/funder", "/auditor"):
        response = visit.go(path)
        assert response.status == 403, path
        assert "Not your dashboard" in visit.page.locator("h1").inner_text()
    response = visit.page.request.post(site.base_url + "/auditor/verify", form={})
    assert response.status == 403


def test_a_form_posted_without_the_sessions_csrf_token_changes_nothing(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    mine = site.seeded[1]
    visit = open_as("supplier-other")
    before = site.log_size()
    for token in (None, "forged-token"):
        form = {"receivable_id": mine, **({"csrf_token": token} if token else {})}
        response = visit.page.request.post(
            site.base_url + "/supplier/actions/request_financing", form=form
        )
        assert response.status == 403
        assert "CSRF" in response.text()
    assert site.log_size() == before
    assert site.receivable(mine)["encumbrance"] is None


@pytest.mark.parametrize(
    ("amounts", "code", "message"),
    [
        ("10000 10000", "pieces_do_not_sum", "the face is"),
        ("abc 45000", "invalid_amount", "is not a decimal amount"),
        ("45000", "too_few_pieces", "at least two amounts"),
        ("22500.001 22499.999", "too_many_decimals", "2 decimals"),
    ],
)
def test_bad_split_amounts_are_shown_next_to_the_form_and_change_nothing(
    site: Site, open_as: Callable[[str], Visit], amounts: str, code: str, message: str
) -> None:
    mine = site.seeded[1]
    visit = open_as("supplier-other")
    visit.go("/supplier")
    before = site.log_size()
    form = visit.page.locator(f'tr[data-receivable="{mine}"] form[data-form=split]')
    form.locator("input[name=amounts]").fill(amounts)
    with visit.page.expect_navigation() as navigation:
        form.locator("button").click()
    if code == "pieces_do_not_sum":  # well-formed amounts: asked back first, refused on yes
        assert navigation.value.status == 200
        assert site.log_size() == before
        with visit.page.expect_navigation() as navigation:
            assert visit.say_yes() == "Split the piece into 10,000.00 EUR and 10,000.00 EUR?"
    assert navigation.value.status in (400, 409)
    error = visit.page.locator(f'tr[data-receivable="{mine}"] .form-error')
    assert error.get_attribute("data-error-code") == code
    assert message in error.inner_text()
    assert site.log_size() == before
    assert site.receivable(mine)["status"] == "live"


@pytest.mark.parametrize("typed", ["12.500,00", "12 500", "1e3", "-5", "0", "12.500"])
def test_an_ambiguous_amount_in_the_confirm_form_is_refused_and_nothing_is_confirmed(
    site: Site, open_as: Callable[[str], Visit], typed: str
) -> None:
    anchor = open_as("anchor")
    anchor.go("/anchor")
    before = site.log_size()
    form = anchor.page.locator("form[data-form=confirm]")
    form.locator("select[name=supplier_id]").select_option(label=site.actors["supplier"].name)
    form.locator("input[name=invoice_number]").fill("AMBIGUOUS-1")
    form.locator("input[name=amount]").fill(typed)
    with anchor.page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    assert navigation.value.status == 400
    error = anchor.page.locator("#confirm .form-error")
    assert error.get_attribute("data-error-code") in ("invalid_amount", "too_many_decimals")
    shown = error.inner_text()
    assert "e.g. 12,500.00" in shown or "above zero" in shown, shown
    assert anchor.page.locator("form[data-form=confirm-step]").count() == 0
    assert site.log_size() == before


def test_the_confirm_form_repeats_the_amount_in_words_and_sends_nothing_until_yes(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    supplier = site.actors["supplier"]
    anchor = open_as("anchor")
    anchor.go("/anchor")
    form = anchor.page.locator("form[data-form=confirm]")
    form.locator("select[name=supplier_id]").select_option(label=supplier.name)
    form.locator("input[name=invoice_number]").fill("IN-WORDS-1")
    form.locator("input[name=amount]").fill("12500")
    due = form.locator("input[name=due_on]").input_value()
    before = site.log_size()
    with anchor.page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    assert navigation.value.status == 200
    question = anchor.page.locator("[data-step=confirm] [data-question]").inner_text()
    assert question == f"Confirm 12,500.00 EUR to {supplier.name}, due {due}?"
    assert site.log_size() == before  # asking sends nothing
    anchor.assert_clean()
    anchor.say_yes()
    assert "Invoice confirmed" in anchor.flash()
    assert site.receivable(anchor.flash_ref())["face_minor"] == 1_250_000
    assert site.log_size() > before


def test_an_offer_with_a_rate_out_of_range_is_refused_with_its_reason(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    other = open_as("supplier-other")
    other.go("/supplier")
    row = other.page.locator(f'tr[data-receivable="{site.seeded[0]}"]')
    row.locator("form[data-form=finance] button").click()
    request = other.flash_ref()
    funder = open_as("funder")
    funder.go("/funder")
    before = site.log_size()
    bid = funder.page.locator(f'tr[data-request="{request}"]')
    bid.locator("input[name=annual_rate]").fill("250")
    bid.locator("button", has_text="Offer").click()
    error = funder.page.locator(f'tr[data-request="{request}"] .form-error')
    assert error.get_attribute("data-error-code") == "invalid_rate"
    assert "at most 100" in error.inner_text()
    assert site.log_size() == before
    # The supplier withdraws again, so the piece is free for the other tests.
    other.go("/supplier")
    other.page.locator(f'[data-request="{request}"] button', has_text="Withdraw").click()
    assert "withdrawn" in other.flash()
    assert site.receivable(site.seeded[0])["encumbrance"] is None


def test_logging_out_ends_the_session_on_the_server(
    site: Site, open_as: Callable[[str], Visit]
) -> None:
    visit = open_as("funder")
    visit.go("/funder")
    session = next(
        c["value"] for c in visit.page.context.cookies() if c["name"] == "openscf_session"
    )
    visit.page.click(
        "header form button",
    )
    assert visit.page.url.endswith("/login")
    visit.go("/funder")
    assert visit.page.url.endswith("/login")
    # The old cookie is dead on the server too, not just deleted from the browser.
    visit.page.context.add_cookies(
        [{"name": "openscf_session", "value": session, "url": site.base_url}]
    )
    visit.go("/funder")
    assert visit.page.url.endswith("/login")
