"""The dashboard's charts: Vega-Lite specifications rendered to SVG on the server by
vl-convert (the Vega project's own renderer, bundled in one wheel), and the chain-of-custody
graph, which is a tree drawn here.

Why a library, and why this one (docs/dashboard.md, "Dashboard charts"): a treasurer reads
axes, so ticks must fall on round values with the unit named, every chart needs a title
and axis titles, and labels must never be clipped; Vega-Lite does tick selection, label
fitting (long labels are shortened with an ellipsis, never cut) and number formatting
(d3-format) as a maintained library. vl-convert renders the specification to SVG in
process, offline (no network, no browser, no JavaScript on the page), and its SVG uses
presentation attributes only (no ``style`` attribute, no ``<style>`` or ``<script>``
element), so the charts are inlined in the page under the dashboard's strict
Content-Security-Policy. Text in the SVG is escaped by the renderer.

Conventions: every chart is an ``<svg class="chart" data-chart="NAME">`` with a
``<title>``; every mark that encodes a number (bar, point, node) carries ``class="mark"``,
``data-value`` (the number drawn) and an ``aria-label`` with the exact formatted figure,
so a screen reader reads it and a test can count the marks and check what was drawn. A
chart with nothing to show says so (``data-empty="true"`` and a sentence) instead of
drawing empty axes. Money is charted in major units of one currency, named in the axis
title; the exact figures (from minor units) are in the labels.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape

__all__ = [
    "GraphEdge",
    "GraphNode",
    "bar_chart",
    "custody_graph",
    "hbar_chart",
    "line_chart",
    "stacked_bar_chart",
    "usage_chart",
]

PALETTE = ("#1f6feb", "#e3801c", "#2da44e", "#8250df", "#cf222e", "#0a7e8c", "#bf8700", "#6e7781")
Fmt = Callable[[float], str]
WIDTH = 560
MARK_ROLES = ("bar", "point", "arc")
# The renderer measures text with this font to fit labels; Liberation Sans has the
# metrics of Arial and Helvetica, which browsers fall back to, so labels fit as measured.
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "#ffffff",
    "padding": {"left": 6, "right": 12, "top": 6, "bottom": 6},
    "view": {"stroke": None},
    "title": {
        "fontSize": 13,
        "fontWeight": 600,
        "anchor": "start",
        "color": "#1f2328",
        "offset": 8,
    },
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": 600,
        "labelColor": "#57606a",
        "titleColor": "#1f2328",
        "gridColor": "#eaeef2",
        "domainColor": "#8c959f",
        "tickColor": "#8c959f",
        "labelLimit": 170,
        "labelOverlap": "parity",
    },
    "legend": {
        "labelFontSize": 11,
        "titleFontSize": 11,
        "labelLimit": 200,
        "orient": "bottom",
        "direction": "horizontal",
        "columns": 3,
    },
    "range": {"category": list(PALETTE)},
}


def _svg(parts: list[str]) -> Markup:
    """The assembled chart. Safe: every text or attribute value interpolated into `parts`
    went through `escape` (or came escaped from the renderer), the rest is fixed markup."""
    return Markup("".join(parts))  # noqa: S704


def _plain(value: float) -> str:
    return f"{value:,.0f}"


def _empty(name: str, title: str, message: str, width: int = WIDTH, height: int = 120) -> Markup:
    return _svg(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
            f'{height}" width="100%" role="img" data-chart="{escape(name)}" data-empty="true" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
            f'<text x="12" y="22" class="chart-title">{escape(title)}</text>',
            f'<rect x="0.5" y="34.5" width="{width - 1}" height="{height - 35}" rx="6" '
            'fill="#f6f8fa" stroke="#d0d7de"/>',
            f'<text x="{width / 2}" y="{(height + 34) / 2 + 4}" text-anchor="middle" '
            f'class="muted">{escape(message)}</text></svg>',
        ]
    )


@functools.lru_cache(maxsize=256)
def _to_svg(spec_json: str) -> str:
    """The renderer's SVG for a specification; the same figures give the same chart, so
    a page shown again (every form post redirects back to it) draws from the cache."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(json.loads(spec_json))
    return svg


def warm_up() -> None:
    """Start the renderer (about a second, once per process) before the first page."""
    bar_chart("warm-up", "warm-up", ["a"], [1.0], x_title="x", y_title="y")


def render(
    name: str, title: str, spec: dict[str, Any], values: dict[str, float] | None = None
) -> Markup:
    """Render a Vega-Lite specification to inline SVG named `name`. `values` maps a
    mark's description (its aria-label) to the number it draws (``data-value``)."""
    full = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": title},
        "config": CONFIG,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "width": WIDTH,
        **spec,
    }
    svg = _to_svg(json.dumps(full, sort_keys=True, default=str))
    found = re.match(r'<svg [^>]*viewBox="0 0 ([\d.]+) ([\d.]+)"[^>]*>', svg)
    if found is None:  # pragma: no cover - the renderer always writes a viewBox
        raise RuntimeError("the chart renderer returned no SVG")
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 '
        f'{found.group(1)} {found.group(2)}" width="100%" role="img" '
        f'data-chart="{escape(name)}" data-empty="false" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )
    body = svg[found.end() :]
    lookup = values or {}

    def tag(match: re.Match[str]) -> str:
        label = html.unescape(match.group(2))
        value = lookup.get(label)
        extra = f' class="mark" data-value="{value}"' if value is not None else ""
        return f"{match.group(1)}{extra}"

    roles = "|".join(MARK_ROLES)
    body = re.sub(
        r'(<path aria-label="([^"]*)" role="graphics-symbol" '
        rf'aria-roledescription="(?:{roles})")',
        tag,
        body,
    )
    return Markup(opening + body)  # noqa: S704 - the renderer escapes every text it writes


def _money_axis(title: str) -> dict[str, Any]:
    return {"title": title, "format": ",.0f", "tickCount": 5}


def bar_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    x_title: str,
    y_title: str,
    fmt: Fmt = _plain,
    empty: str = "nothing to show yet",
    highlight: int | None = None,
    height: int = 200,
) -> Markup:
    """One vertical bar per label, in the order given; `fmt` writes a value exactly."""
    if not labels or not any(values):
        return _empty(name, title, empty)
    rows = [
        {
            "label": label,
            "value": value,
            "text": f"{label}: {fmt(value)}",
            "hl": "best" if highlight == i else "other",
        }
        for i, (label, value) in enumerate(zip(labels, values, strict=True))
    ]
    angle = -40 if len(labels) > 6 else 0
    spec = {
        "height": height,
        "data": {"values": rows},
        "mark": {"type": "bar", "cornerRadiusEnd": 2},
        "encoding": {
            "x": {
                "field": "label",
                "type": "nominal",
                "sort": None,
                "title": x_title,
                "axis": {"labelAngle": angle, "labelOverlap": True},
            },
            "y": {"field": "value", "type": "quantitative", "axis": _money_axis(y_title)},
            "color": {
                "field": "hl",
                "type": "nominal",
                "legend": None,
                "scale": {"domain": ["other", "best"], "range": [PALETTE[0], PALETTE[1]]},
            },
            "description": {"field": "text", "type": "nominal"},
        },
    }
    return render(name, title, spec, {r["text"]: r["value"] for r in rows})  # type: ignore[misc]


def hbar_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    x_title: str,
    y_title: str,
    fmt: Fmt = _plain,
    empty: str = "nothing to show yet",
) -> Markup:
    """One horizontal bar per label, for long category names (event types, anchors)."""
    if not labels or not any(values):
        return _empty(name, title, empty)
    rows = [
        {"label": label, "value": value, "text": f"{label}: {fmt(value)}", "shown": fmt(value)}
        for label, value in zip(labels, values, strict=True)
    ]
    base = {
        "y": {"field": "label", "type": "nominal", "sort": None, "title": y_title},
        "x": {"field": "value", "type": "quantitative", "axis": _money_axis(x_title)},
    }
    spec = {
        "height": {"step": 22},
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "bar", "color": PALETTE[0], "cornerRadiusEnd": 2},
                "encoding": {**base, "description": {"field": "text", "type": "nominal"}},
            },
        ],
    }
    return render(name, title, spec, {r["text"]: r["value"] for r in rows})  # type: ignore[misc]


def stacked_bar_chart(
    name: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    x_title: str,
    y_title: str,
    legend_title: str,
    fmt: Fmt = _plain,
    empty: str = "nothing to show yet",
    height: int = 200,
) -> Markup:
    """Bars per category, stacked by series (e.g. maturity buckets stacked by anchor)."""
    rows = [
        {
            "category": category,
            "series": label,
            "value": values[i],
            "text": f"{category}, {label}: {fmt(values[i])}",
        }
        for label, values in series
        for i, category in enumerate(categories)
        if values[i] > 0
    ]
    if not rows:
        return _empty(name, title, empty)
    spec = {
        "height": height,
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "category",
                "type": "nominal",
                "sort": list(categories),
                "title": x_title,
                "axis": {"labelAngle": 0},
            },
            "y": {
                "field": "value",
                "type": "quantitative",
                "stack": "zero",
                "axis": _money_axis(y_title),
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "title": legend_title,
                "sort": [s[0] for s in series],
            },
            "description": {"field": "text", "type": "nominal"},
        },
    }
    return render(name, title, spec, {r["text"]: r["value"] for r in rows})  # type: ignore[misc]


def usage_chart(
    name: str,
    title: str,
    rows: Sequence[tuple[str, float, float]],
    *,
    fmt: Fmt = _plain,
    empty: str = "no limits to show",
    y_title: str = "limit",
) -> Markup:
    """Horizontal bars: how much of each limit is used, in percent (label, used, limit);
    the label of each bar gives the amounts."""
    data: list[dict[str, Any]] = []
    for label, used, limit in rows:
        if limit <= 0:
            continue
        share = 100.0 * used / limit
        data.append(
            {
                "label": label,
                "share": share,
                "shown": f"{share:.1f} %",
                "band": "90 % or more"
                if share >= 90
                else "70 to 90 %"
                if share >= 70
                else "under 70 %",
                "text": f"{label}: {fmt(used)} of {fmt(limit)} ({share:.1f} %)",
                "used": used,
            }
        )
    if not data:
        return _empty(name, title, empty)
    y = {"field": "label", "type": "nominal", "sort": None, "title": y_title}
    spec = {
        "height": {"step": 26},
        "data": {"values": data},
        "layer": [
            {
                "mark": {"type": "bar", "cornerRadiusEnd": 2},
                "encoding": {
                    "y": y,
                    "x": {
                        "field": "share",
                        "type": "quantitative",
                        "scale": {"domain": [0, max(100.0, max(d["share"] for d in data))]},
                        "axis": {
                            "title": "share of the limit used (%)",
                            "format": ".0f",
                            "values": [0, 25, 50, 75, 100],
                        },
                    },
                    "color": {
                        "field": "band",
                        "type": "nominal",
                        "legend": None,
                        "scale": {
                            "domain": ["under 70 %", "70 to 90 %", "90 % or more"],
                            "range": [PALETTE[2], PALETTE[1], PALETTE[4]],
                        },
                    },
                    "description": {"field": "text", "type": "nominal"},
                },
            },
            {
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 4,
                    "color": "#1f2328",
                    "fontSize": 11,
                },
                "encoding": {
                    "y": y,
                    "x": {"field": "share", "type": "quantitative"},
                    "text": {"field": "shown"},
                },
            },
        ],
    }
    return render(name, title, spec, {d["text"]: d["used"] for d in data})


def line_chart(
    name: str,
    title: str,
    points: Sequence[tuple[date | datetime, float]],
    *,
    x_title: str,
    y_title: str,
    fmt: Fmt = _plain,
    empty: str = "nothing to show yet",
    step: bool = False,
    money_axis: bool = True,
    height: int = 200,
) -> Markup:
    """A line through (instant, value) points on a time axis."""
    if not points:
        return _empty(name, title, empty)
    rows = [
        {
            "at": at.isoformat(),
            "value": value,
            "text": f"{at.isoformat()[:16].replace('T', ' ')}: {fmt(value)}",
        }
        for at, value in points
    ]
    axis = (
        _money_axis(y_title)
        if money_axis
        else {"title": y_title, "format": ",d", "tickMinStep": 1, "tickCount": 5}
    )
    spec = {
        "height": height,
        "data": {"values": rows},
        "mark": {
            "type": "line",
            "point": len(rows) <= 120,
            "interpolate": "step-after" if step else "linear",
            "color": PALETTE[0],
        },
        "encoding": {
            "x": {
                "field": "at",
                "type": "temporal",
                "title": x_title,
                "axis": {"tickCount": 6, "labelOverlap": True},
            },
            "y": {"field": "value", "type": "quantitative", "axis": axis},
            "description": {"field": "text", "type": "nominal"},
        },
    }
    return render(name, title, spec, {r["text"]: r["value"] for r in rows})  # type: ignore[misc]


# --- the chain of custody ------------------------------------------------------------------


@dataclass
class GraphNode:
    """A receivable piece: who held it, for how much, and what became of it."""

    id: str
    holder: str
    amount: str
    status: str
    value: int = 0
    href: str | None = None
    focus: bool = False


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    label: str  # issued | split | transfer | financing


EDGE_COLORS = {"split": PALETTE[6], "transfer": PALETTE[0], "financing": PALETTE[3]}
STATUS_FILL = {
    "live": "#dafbe1",
    "settled": "#ddf4ff",
    "paid_early": "#ddf4ff",
    "overdue": "#fff8c5",
    "defaulted": "#ffebe9",
    "cancelled": "#eaeef2",
    "split": "#f6f8fa",
    "transferred": "#f6f8fa",
}


NAME_CHARS = 27  # a node's name line at 12px in a 216px box, with room to spare


def fit_lines(text: str, width: int, most: int) -> list[str]:
    """`text` broken at spaces into at most `most` lines of at most `width` characters;
    the last line ends with an ellipsis when the text does not fit."""
    lines: list[str] = []
    rest = text.split()
    while rest and len(lines) < most:
        line = rest.pop(0)
        while rest and len(line) + 1 + len(rest[0]) <= width:
            line += " " + rest.pop(0)
        if len(line) > width:
            rest.insert(0, line[width - 1 :])
            line = line[: width - 1]
        lines.append(line)
    if rest and lines:
        last = lines[-1]
        lines[-1] = (last if len(last) < width else last[: width - 1]) + "…"
    return lines or [""]


def custody_graph(
    name: str, title: str, nodes: Sequence[GraphNode], edges: Sequence[GraphEdge]
) -> Markup:
    """A left-to-right tree: the root piece on the left, each split or transfer one column
    further right. Nodes link to their own pages when `href` is set."""
    if not nodes:
        return _empty(name, title, "no custody events to draw")
    children: dict[str, list[str]] = {}
    has_parent: set[str] = set()
    for e in edges:
        children.setdefault(e.source, []).append(e.target)
        has_parent.add(e.target)
    by_id = {n.id: n for n in nodes}
    roots = [n.id for n in nodes if n.id not in has_parent]
    depth: dict[str, int] = {}
    row: dict[str, float] = {}
    next_leaf = [0.0]

    def place(node: str, d: int, seen: frozenset[str]) -> float:
        depth[node] = d
        kids = [k for k in children.get(node, []) if k in by_id and k not in seen]
        if not kids:
            row[node] = next_leaf[0]
            next_leaf[0] += 1
        else:
            rows = [place(k, d + 1, seen | {node}) for k in kids]
            row[node] = (rows[0] + rows[-1]) / 2
        return row[node]

    for root in roots:
        place(root, 0, frozenset())
    for n in nodes:  # anything in a cycle (never in a valid log) still gets drawn
        if n.id not in depth:
            place(n.id, 0, frozenset())
    box_w, box_h, col_w, row_h, pad = 216.0, 74.0, 272.0, 88.0, 12.0
    width = int(pad * 2 + col_w * max(depth.values()) + box_w)
    height = int(pad * 2 + row_h * max(next_leaf[0] - 1, 0) + box_h)
    width, height = max(width, 300), max(height, 90)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart custody" '
        f'viewBox="0 0 {width} {height}" width="{width}" role="img" '
        f'data-chart="{escape(name)}" data-empty="false" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]

    def pos(node: str) -> tuple[float, float]:
        return pad + col_w * depth[node], pad + row_h * row[node]

    for e in edges:
        if e.source not in depth or e.target not in depth:
            continue
        (x1, y1), (x2, y2) = pos(e.source), pos(e.target)
        sx, sy, tx, ty = x1 + box_w, y1 + box_h / 2, x2, y2 + box_h / 2
        mid = (sx + tx) / 2
        color = EDGE_COLORS.get(e.label, PALETTE[7])
        parts.append(
            f'<path class="edge" d="M{sx:.1f},{sy:.1f} C{mid:.1f},{sy:.1f} '
            f'{mid:.1f},{ty:.1f} {tx:.1f},{ty:.1f}" fill="none" stroke="{color}" '
            f'stroke-width="2" data-edge="{escape(e.label)}"><title>'
            f"{escape(e.label)}: {escape(e.source)} → {escape(e.target)}</title></path>"
        )
        parts.append(
            f'<text x="{mid:.1f}" y="{(sy + ty) / 2 - 4:.1f}" text-anchor="middle" '
            f'class="edge-label">{escape(e.label)}</text>'
        )
    for n in nodes:
        x, y = pos(n.id)
        fill = STATUS_FILL.get(n.status, "#ffffff")
        stroke, sw = ("#cf222e", 3) if n.focus else ("#57606a", 1)
        lines = fit_lines(n.holder, NAME_CHARS, 2)
        box = (
            f'<rect class="mark node" x="{x:.1f}" y="{y:.1f}" width="{box_w}" '
            f'height="{box_h}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{sw}" '
            f'data-value="{n.value}" data-node="{escape(n.id)}" '
            f'data-status="{escape(n.status)}"><title>{escape(n.id)}: {escape(n.holder)}, '
            f"{escape(n.amount)}, {escape(n.status)}</title></rect>"
            + "".join(
                f'<text x="{x + 8:.1f}" y="{y + 16 + 14 * k:.1f}" '
                f'class="node-title">{escape(line)}</text>'
                for k, line in enumerate(lines)
            )
            + f'<text x="{x + 8:.1f}" y="{y + 50:.1f}" class="node-amount">'
            f'{escape(n.amount)}</text><text x="{x + 8:.1f}" y="{y + 66:.1f}" '
            f'class="node-meta">…{escape(n.id[-10:])} · {escape(n.status)}</text>'
        )
        if n.href:
            box = f'<a href="{escape(n.href)}">{box}</a>'
        parts.append(box)
    parts.append("</svg>")
    return _svg(parts)
