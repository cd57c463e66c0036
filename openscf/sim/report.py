"""The one-page HTML report: what the network does for small suppliers deep in the chain.

Self-contained (inline CSS and SVG, no script, no network access), so it opens from a
file in any browser, offline.
"""

from __future__ import annotations

from html import escape
from typing import Any

from openscf.domain.money import exponent, format_amount
from openscf.sim.charts import bar_chart, line_chart

__all__ = ["render_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1340px;color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.sub{color:#57606a;margin:0 0 16px}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.kpi{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:130px}
.kpi b{display:block;font-size:18px}.kpi span{color:#57606a;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px}
figure{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:8px}
figcaption{font-size:12px;color:#57606a;margin-top:4px}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #d0d7de;
padding:3px 10px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
"""


def _m(minor: int | float) -> float:
    """Minor units of EUR as millions of EUR, for chart geometry only (never arithmetic)."""
    return float(minor) / float(10 ** exponent("EUR")) / 1e6


def _pct(x: float | None) -> float | None:
    return None if x is None else 100 * x


def _table(rows: dict[str, Any], head: tuple[str, str]) -> str:
    body = "".join(
        f"<tr><td>{escape(str(k))}</td><td class='n'>{v:,}</td></tr>" for k, v in rows.items()
    )
    return f"<table><tr><th>{escape(head[0])}</th><th>{escape(head[1])}</th></tr>{body}</table>"


def _claims(c: dict[str, Any]) -> str:
    """Default claims: exposure, recoveries and loss given default, per claim and overall."""
    rows = "".join(
        f"<tr><td>{escape(k['obligor'])}</td><td class='n'>{k['pieces']:,}</td>"
        f"<td class='n'>{format_amount(k['exposure_minor'], 'EUR')}</td>"
        f"<td class='n'>{format_amount(k['recovered_minor'], 'EUR')}</td>"
        f"<td class='n'>{100 * k['loss_given_default']:.1f}%"
        f"{'' if k['closed_day'] >= 0 else ' (open)'}</td></tr>"
        for k in c["claims"]
    )
    lgd = c["loss_given_default"]
    total = "-" if lgd is None else f"{100 * lgd:.1f}%"
    return (
        "<table><tr><th>default claim on</th><th>pieces</th><th>exposure</th>"
        f"<th>recovered</th><th>loss given default</th></tr>{rows}"
        f"<tr><th>all claims</th><td></td>"
        f"<td class='n'>{format_amount(c['exposure_minor'], 'EUR')}</td>"
        f"<td class='n'>{format_amount(c['recovered_minor'], 'EUR')}</td>"
        f"<td class='n'>{total}</td></tr></table>"
    )


def render_report(a: dict[str, Any], *, title: str, subtitle: str) -> str:
    tiers = a["tiers"]
    vol = a["volume_minor"]
    dtc = a["days_to_cash"]
    rates = a["rates"]
    months = list(a["monthly_minor"])
    monthly_series = []
    for key in [*tiers, "financed"]:
        monthly_series.append((key, [_m(a["monthly_minor"][m].get(key, 0)) for m in months]))
    losses = a["losses_minor"]
    charts = [
        (
            bar_chart(
                "volume_by_tier",
                "Invoiced, through the network and financed, by tier",
                tiers,
                [
                    ("invoiced", [_m(v) for v in vol["invoiced"]]),
                    ("through the network", [_m(v) for v in vol["through_network"]]),
                    ("sold to funders", [_m(v) for v in vol["financed"]]),
                ],
                "EUR m",
            ),
            "Trade invoices by the seller's tier (net of credit notes). 'Through the network': "
            "confirmed by the anchor or paid with a piece of an anchor receivable. 'Sold to "
            "funders': face of pieces the tier's firms sold for cash.",
        ),
        (
            line_chart(
                "volume_by_month",
                "Invoiced and financed volume by month",
                months,
                monthly_series,
                "EUR m",
            ),
            "Seasonality (summer shutdown in automotive, Q4 stocking in retail) and trend.",
        ),
        (
            bar_chart(
                "rates_by_tier",
                "Financing rate: on the anchor's credit vs. on its own",
                tiers,
                [
                    ("network (paid)", [_pct(x) for x in rates["network"]]),
                    ("own name (would pay)", [_pct(x) for x in rates["own_name"]]),
                ],
                "% a year",
            ),
            "Face-weighted annual rate of accepted financing offers, against the firm's own "
            "borrowing cost (money-market rate + SME spread by tier and financial health).",
        ),
        (
            bar_chart(
                "days_to_cash",
                "Days from invoice to cash, by the seller's tier",
                tiers,
                [
                    ("without the network", dtc["without_network"]),
                    ("with the network", dtc["with_network"]),
                ],
                "days",
            ),
            "All trade invoices. Without: the buyer pays cash at the due date plus its usual "
            "delay. With: what happened (receivables sold, paid early, passed on as payment, "
            "or settled at maturity, amount-weighted).",
        ),
        (
            bar_chart(
                "days_to_cash_members",
                "Days to cash for invoices paid through the network",
                tiers,
                [
                    ("without the network", dtc["members_without_network"]),
                    ("with the network", dtc["members_with_network"]),
                ],
                "days",
            ),
            "Only the invoices that went through the network, against how their buyer would "
            "have paid them in cash.",
        ),
        (
            bar_chart(
                "defaults_by_tier",
                "Supplier defaults by tier",
                tiers,
                [("default rate %", [100 * x for x in a["defaults"]["rate_by_tier"]])],
                "% of firms",
            ),
            f"{sum(a['defaults']['by_tier'])} supplier defaults; anchors defaulted: "
            f"{len(a['defaults']['anchors'])}. Defaults come from each firm's hidden health, "
            "a buyer's default (contagion), a bust-out or an unpaid recourse.",
        ),
        (
            bar_chart(
                "losses_by_tier",
                "Losses and losses avoided, by tier",
                tiers,
                [
                    ("lost (buyer defaulted / unpaid)", [_m(v) for v in losses["by_tier"]]),
                    ("avoided by anchor receivables", [_m(v) for v in losses["avoided_by_tier"]]),
                ],
                "EUR m",
            ),
            "Lost: invoices a defaulted buyer never paid, unrecovered dilution, defaulted "
            "anchor receivables. Avoided: invoices paid with anchor receivables whose buyer "
            "defaulted before it would have paid cash.",
        ),
        (
            bar_chart(
                "default_rate_by_health",
                "Default rate by quintile of starting health",
                ["weakest", "2nd", "3rd", "4th", "strongest"],
                [
                    (
                        "default rate %",
                        [100 * x for x in a["defaults"]["rate_by_start_health_quintile"]],
                    )
                ],
                "% of suppliers",
            ),
            "The hidden health process drives defaults: the ground truth a risk model learns.",
        ),
    ]
    counts = a["counts"]
    kpis = [
        (f"{a['firms']['total']:,}", "firms"),
        (f"{counts['invoices']:,}", "invoices"),
        (f"{counts['receivable_pieces']:,}", "receivable pieces"),
        (f"{counts['financings']:,}", "financings"),
        (f"{counts['platform_commands']:,}", "platform commands"),
        (f"{sum(a['defaults']['by_tier']):,}", "supplier defaults"),
        (f"{_m(sum(vol['invoiced'])):,.1f}", "EUR m invoiced"),
        (f"{_m(sum(vol['financed'])):,.1f}", "EUR m financed"),
    ]
    figures = "\n".join(
        f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"
        for svg, caption in charts
    )
    kpi_html = "".join(
        f"<div class='kpi'><b>{v}</b><span>{escape(k)}</span></div>" for v, k in kpis
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_CSS}</style></head><body>
<h1>{escape(title)}</h1><p class="sub">{escape(subtitle)}</p>
<div class="kpis">{kpi_html}</div>
<div class="grid">{figures}</div>
<h2>Platform commands</h2>
<div class="grid"><div>{_table(a["platform"]["accepted"], ("accepted", "count"))}</div>
<div>{_table(a["platform"]["refused"] or {"none": 0}, ("refused (command: code)", "count"))}
</div></div>
<h2>When trade went wrong (ground truth)</h2>
<div class="grid"><div>{
        _table(
            a["defaults"]["by_tier_and_cause"] or {"none": 0}, ("defaults (tier: cause)", "count")
        )
    }</div>
<div>{_table(a["fraud_by_type"] or {"none": 0}, ("fraud by type", "count"))}</div>
<div>{_claims(a["claims"])}</div></div>
<h2>Ground-truth labels (not visible to the platform)</h2>
{_table(a["labels"] or {"none": 0}, ("label (platform outcome)", "count"))}
</body></html>
"""
