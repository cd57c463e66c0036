"""The dashboard's pieces without a browser: charts, form parsing, money display."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from openscf.domain.errors import InvalidRequest
from openscf.domain.model import Program, Receivable
from openscf.web import charts, forms, views

EVIL = '<script>alert("x")</script>'


def test_chart_titles_and_labels_are_escaped() -> None:
    day = date(2026, 1, 5)
    for svg in (
        charts.bar_chart("b", EVIL, [EVIL], [1.0], x_title=EVIL, y_title=EVIL),
        charts.hbar_chart("h", EVIL, [EVIL], [1.0], x_title=EVIL, y_title=EVIL),
        charts.usage_chart("u", EVIL, [(EVIL, 1.0, 2.0)]),
        charts.line_chart("l", EVIL, [(day, 1.0)], x_title=EVIL, y_title=EVIL),
        charts.stacked_bar_chart(
            "s", EVIL, [EVIL], [(EVIL, [1.0])], x_title=EVIL, y_title=EVIL, legend_title=EVIL
        ),
        charts.custody_graph("g", EVIL, [charts.GraphNode(EVIL, EVIL, EVIL, EVIL)], []),
    ):
        assert "<script>" not in str(svg)
        assert "&lt;script&gt;" in str(svg)


def test_every_bar_carries_the_value_it_draws_and_its_exact_figure() -> None:
    svg = str(
        charts.bar_chart(
            "b",
            "t",
            ["a", "b", "c"],
            [10.0, 0.0, 32.5],
            x_title="x",
            y_title="y",
            fmt=views.money_fmt("EUR"),
        )
    )
    assert sorted(float(v) for v in re.findall(r'data-value="([^"]+)"', svg)) == [0.0, 10.0, 32.5]
    assert 'aria-label="c: 32.50 EUR"' in svg
    assert 'data-empty="false"' in svg


def test_a_chart_has_its_title_axis_titles_and_round_ticks() -> None:
    svg = str(
        charts.bar_chart(
            "b",
            "Payables by due date",
            ["w1", "w2"],
            [625_000.0, 1_880_000.0],
            x_title="week starting",
            y_title="face due (EUR)",
        )
    )
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    assert "Payables by due date" in texts
    assert "week starting" in texts and "face due (EUR)" in texts
    ticks = [t for t in texts if re.fullmatch(r"[\d,]+", t)]
    assert ticks, texts
    values = [int(t.replace(",", "")) for t in ticks]
    step = values[1] - values[0]
    assert all(v % step == 0 for v in values) and str(step).rstrip("0") in ("1", "2", "5")
    assert not any(re.fullmatch(r"[\d.]+[kM]", t) for t in texts)  # no '625k', '1.9M'


def test_the_chart_svg_obeys_the_dashboard_content_security_policy() -> None:
    svg = str(
        charts.stacked_bar_chart(
            "s",
            "t",
            ["a", "b"],
            [("x", [1.0, 2.0]), ("y", [3.0, 4.0])],
            x_title="x",
            y_title="y",
            legend_title="l",
        )
    )
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg
    assert " on" not in svg.replace(" one", "")  # no event handler attributes


def test_a_chart_with_nothing_to_show_says_so() -> None:
    svg = str(
        charts.bar_chart("b", "t", ["a"], [0.0], x_title="x", y_title="y", empty="nothing owed")
    )
    assert 'data-empty="true"' in svg and "nothing owed" in svg
    assert "data-value" not in svg


def test_long_names_are_wrapped_to_fit_a_custody_node() -> None:
    name = "Schmidt & Söhne Präzisionswerkzeuge Gesellschaft mit beschränkter Haftung"
    lines = charts.fit_lines(name, charts.NAME_CHARS, 2)
    assert len(lines) == 2 and all(len(line) <= charts.NAME_CHARS for line in lines)
    assert lines[-1].endswith("…") and lines[0].startswith("Schmidt & Söhne")
    assert charts.fit_lines("Acme GmbH", charts.NAME_CHARS, 2) == ["Acme GmbH"]


def test_the_custody_graph_puts_each_generation_one_column_further_right() -> None:
    nodes = [charts.GraphNode(i, "holder", "1.00 EUR", "live") for i in ("r", "a", "b", "c")]
    edges = [
        charts.GraphEdge("r", "a", "split"),
        charts.GraphEdge("r", "b", "split"),
        charts.GraphEdge("b", "c", "transfer"),
    ]
    svg = str(charts.custody_graph("g", "t", nodes, edges))
    x = {
        node: float(pos)
        for pos, node in re.findall(
            r'<rect class="mark node" x="([\d.]+)"[^>]*data-node="(\w)"', svg
        )
    }
    assert x["r"] < x["a"] == x["b"] < x["c"]
    assert svg.count('data-edge="split"') == 2 and svg.count('data-edge="transfer"') == 1


def test_typed_amounts_convert_exactly_to_minor_units() -> None:
    assert forms.amount({"a": "12,500.10"}, "a", "EUR") == 1_250_010
    assert forms.amounts({"a": "70000; 50000.5"}, "a", "EUR") == (7_000_000, 5_000_050)
    assert forms.amounts({"a": "70,000.00, 50,000.00"}, "a", "EUR") == (7_000_000, 5_000_000)
    assert forms.amount({"a": "1500"}, "a", "JPY") == 1500


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "missing_field"),
        ("-5", "invalid_amount"),
        ("0", "invalid_amount"),
        ("1.234", "too_many_decimals"),
        ("1e400", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("99999999999999999999", "amount_too_large"),
        ("x" * 300, "field_too_long"),
        ("12.500,00", "invalid_amount"),
        ("12 500", "invalid_amount"),
        ("1e3", "invalid_amount"),
        ("12,50", "invalid_amount"),
        ("12.500", "too_many_decimals"),
    ],
)
def test_bad_amounts_are_refused_with_a_code_and_the_field_name(value: str, code: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        forms.amount({"amount": value}, "amount", "EUR")
    assert caught.value.code == code
    assert caught.value.param == "amount"


def test_rates_are_typed_in_percent_and_stored_as_fractions() -> None:
    assert forms.rate({"r": "4.5"}, "r") == "0.045"
    assert forms.rate({"r": "6 %"}, "r") == "0.06"
    for bad in ("0", "101", "abc", "inf", "4,5", "1e1", "-4", "4.5.1"):
        with pytest.raises(InvalidRequest):
            forms.rate({"r": bad}, "r")


def test_money_is_shown_with_thousands_separators_and_exact_decimals() -> None:
    assert views.money(1_234_567, "EUR") == "12,345.67 EUR"
    assert views.money(-5, "EUR") == "-0.05 EUR"
    assert views.money(1500, "JPY") == "1,500 JPY"
    assert views.rate("0.045") == "4.50 % p.a."
    assert views.rate("0.04125") == "4.125 % p.a."
    assert views.rate("0.06") == "6.00 % p.a."


def test_the_indicative_price_applies_the_median_recent_rate_from_today_to_maturity() -> None:
    today = date(2026, 3, 2)
    program = Program(
        "prg_1",
        "org_a",
        "P",
        "EUR",
        180,
        10**12,
        10**11,
        10**11,
        "ACT/360",
        "TARGET",
        10**10,
        30,
        ("org_f",),
    )
    piece = Receivable(
        "rcv_1",
        "prg_1",
        "org_a",
        "org_s",
        "org_s",
        100_000_00,
        "EUR",
        date(2026, 4, 1),
        datetime(2026, 3, 1, tzinfo=UTC),
        "inv_1",
        "rcv_1",
        None,
        "live",
    )
    rates = {("prg_1", "org_a"): (Decimal("0.05"), Decimal("0.001"), 3)}
    found = views.indication(piece, program, rates, today)
    # 30 days at 5 % on ACT/360: 100,000 x 0.05 x 30 / 360 = 416.666... -> 416.67
    assert (found.days, found.discount_minor, found.fees_minor) == (30, 416_67, 100_00)
    assert found.cash_minor == 100_000_00 - 416_67 - 100_00
    assert found.cost_minor == 516_67
    assert views.indication(piece, program, {}, today).annual_rate is None  # too few sales
    matured = views.indication(piece, program, rates, date(2026, 4, 1))
    assert matured.annual_rate is None and matured.cash_minor == 0


def test_an_irrevocable_money_form_asks_back_in_the_currencys_words() -> None:
    names = {"org_alb": "Alb Dichtungen KG", "org_t2": "Tier Two GmbH"}.__getitem__
    form = {
        "program_id": "prg_1",
        "supplier_id": "org_alb",
        "invoice_number": "A-1",
        "amount": "12,500.00",
        "due_on": "2027-01-26",
    }
    confirm = forms.ACTIONS["confirm"]
    assert confirm.ask is not None
    assert confirm.ask(confirm.build(form, "EUR"), "EUR", names) == (
        "Confirm 12,500.00 EUR to Alb Dichtungen KG, due 2027-01-26?"
    )
    assert confirm.ask(confirm.build({**form, "amount": "12500"}, "JPY"), "JPY", names) == (
        "Confirm 12,500 JPY to Alb Dichtungen KG, due 2027-01-26?"
    )
    transfer = forms.ACTIONS["transfer"]
    assert transfer.ask is not None
    part = {"receivable_id": "rcv_1", "to_org_id": "org_t2", "amount": "1,234.5"}
    assert transfer.ask(transfer.build(part, "EUR"), "EUR", names) == (
        "Transfer 1,234.50 EUR of the piece to Tier Two GmbH?"
    )
    whole = {"receivable_id": "rcv_1", "to_org_id": "org_t2"}
    assert transfer.ask(transfer.build(whole, "EUR"), "EUR", names) is None


def test_a_piece_link_shortens_a_long_id_only() -> None:
    from openscf.web.routes import make_environment

    macros = make_environment().get_template("_macros.html").module
    long_id = "rcv_01M6DYN0W0X92GW9B9720X1SYH"
    assert f">…{long_id[-10:]}</a>" in str(macros.piece(long_id))  # type: ignore[attr-defined]
    # A short id (the simulated history's 'rcv_619') is shown whole: no '…rcv_619'.
    assert ">rcv_619</a>" in str(macros.piece("rcv_619"))  # type: ignore[attr-defined]
