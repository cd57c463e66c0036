"""Server-side SVG charts for the dashboard: bar, stacked bar, usage-against-limit, donut,
line, and the chain-of-custody graph.

Why SVG drawn here rather than Apache ECharts: the dashboard must work offline, from the
package alone, and the project commits no third-party code. ECharts would have to be
fetched from npm by a build step that every install path (the README's command, CI, a
wheel) runs, with a fallback page when the file is missing; a chart would then exist only
after JavaScript ran. Inline SVG has none of those failure modes: it renders with the
page (even with scripts off), prints, is covered by the Content-Security-Policy without
exceptions (no inline styles: only presentation attributes), and is testable from the
HTML alone. The charts a dashboard needs here are few and simple, and ~300 lines draw
them.

Conventions (shared with the simulator's report charts): every chart is an
``<svg data-chart="NAME">``; every mark that encodes a number (bar, slice, point, node)
has ``data-value`` and a ``<title>`` tooltip with the formatted figure, so a person can
hover for the exact number and a test can count the marks and read what was drawn. A
chart with nothing to show says so (``data-empty="true"`` and a sentence) instead of
drawing empty axes. Every label is escaped. Geometry uses floats; the figures shown come
from the caller's exact formatting (money is never rounded through a float for display).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from openscf.sim.charts import nice_max

__all__ = [
    "GraphEdge",
    "GraphNode",
    "bar_chart",
    "custody_graph",
    "donut_chart",
    "hbar_chart",
    "line_chart",
    "stacked_bar_chart",
    "usage_chart",
]

PALETTE = ("#1f6feb", "#e3801c", "#2da44e", "#8250df", "#cf222e", "#0a7e8c", "#bf8700",
           "#6e7781")
Fmt = Callable[[float], str]


def _svg(parts: list[str]) -> Markup:
    """The assembled chart. Safe: every text or attribute value interpolated into `parts`
    went through `escape`, and the rest is numbers and fixed markup."""
    return Markup("".join(parts))  # noqa: S704


def _plain(value: float) -> str:
    return f"{value:,.0f}"


def _short(value: float) -> str:
    """Axis labels: 1.2M, 350k."""
    for div, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= div:
            text = f"{value / div:.1f}".rstrip("0").rstrip(".")
            return text + suffix
    return f"{value:.0f}"


def _open(name: str, title: str, width: int, height: int, *, empty: bool = False,
          tall: bool = False) -> list[str]:
    """`tall` charts (one row per item) keep their height instead of being fitted."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart{" tall" if tall else ""}" '
        f'viewBox="0 0 {width} {height}"'
        f' width="100%" preserveAspectRatio="xMidYMid meet" role="img"'
        f' data-chart="{escape(name)}" data-empty="{"true" if empty else "false"}"'
        f' aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]


def _empty(name: str, title: str, message: str, width: int = 560, height: int = 120) -> Markup:
    parts = _open(name, title, width, height, empty=True)
    parts.append(f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" rx="6" '
                 'fill="#f6f8fa" stroke="#d0d7de"/>')
    parts.append(f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" '
                 f'class="muted">{escape(message)}</text></svg>')
    return _svg(parts)


def _y_axis(parts: list[str], left: float, top: float, plot_w: float, plot_h: float,
            ymax: float) -> None:
    for i in range(5):
        value = ymax * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#d8dee4" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'class="axis">{escape(_short(value))}</text>')


def bar_chart(name: str, title: str, labels: Sequence[str], values: Sequence[float], *,
              fmt: Fmt = _plain, empty: str = "nothing to show yet", color: str = PALETTE[0],
              highlight: int | None = None, width: int = 560, height: int = 240) -> Markup:
    """One bar per label; `fmt` formats a value for its tooltip."""
    if not labels or not any(values):
        return _empty(name, title, empty, width)
    left, right, top, bottom = 56.0, 12.0, 12.0, 44.0
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = nice_max(max(values))
    parts = _open(name, title, width, height)
    _y_axis(parts, left, top, plot_w, plot_h, ymax)
    slot = plot_w / len(labels)
    bar_w = max(2.0, slot * 0.7)
    step = max(1, math.ceil(len(labels) / 12))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / ymax
        x = left + slot * i + (slot - bar_w) / 2
        fill = PALETTE[1] if highlight == i else color
        parts.append(f'<rect class="mark" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{bar_w:.1f}" height="{h:.1f}" fill="{fill}" rx="2" '
                     f'data-value="{value}" data-label="{escape(label)}">'
                     f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>")
        if i % step == 0:
            parts.append(f'<text x="{left + slot * i + slot / 2:.1f}" y="{top + plot_h + 16}"'
                         f' text-anchor="middle" class="axis">{escape(label)}</text>')
    parts.append("</svg>")
    return _svg(parts)


def hbar_chart(name: str, title: str, labels: Sequence[str], values: Sequence[float], *,
               fmt: Fmt = _plain, empty: str = "nothing to show yet",
               width: int = 560) -> Markup:
    """One horizontal bar per label, for long category names (event types ...)."""
    if not labels or not any(values):
        return _empty(name, title, empty, width)
    row_h, label_w, right = 22.0, 200.0, 60.0
    height = int(row_h * len(labels) + 12)
    plot_w = width - label_w - right
    top = max(values)
    parts = _open(name, title, width, height, tall=True)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 6 + row_h * i
        w = max(1.0, plot_w * value / top)
        text = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" '
                     f'class="axis">{escape(text)}</text>')
        parts.append(f'<rect class="mark" x="{label_w}" y="{y + 3}" width="{w:.1f}" '
                     f'height="15" fill="{PALETTE[0]}" rx="2" data-value="{value}" '
                     f'data-label="{escape(label)}"><title>{escape(label)}: '
                     f"{escape(fmt(value))}</title></rect>")
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 14}" class="axis">'
                     f"{escape(fmt(value))}</text>")
    parts.append("</svg>")
    return _svg(parts)


def stacked_bar_chart(name: str, title: str, categories: Sequence[str],
                      series: Sequence[tuple[str, Sequence[float]]], *, fmt: Fmt = _plain,
                      empty: str = "nothing to show yet", width: int = 560,
                      height: int = 260) -> Markup:
    """Bars per category, stacked by series (e.g. maturity buckets stacked by anchor)."""
    totals = [sum(s[1][i] for s in series) for i in range(len(categories))]
    if not categories or not series or not any(totals):
        return _empty(name, title, empty, width)
    left, right, top, bottom = 56.0, 12.0, 12.0, 64.0
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = nice_max(max(totals))
    parts = _open(name, title, width, height)
    _y_axis(parts, left, top, plot_w, plot_h, ymax)
    slot = plot_w / len(categories)
    bar_w = slot * 0.6
    for i, category in enumerate(categories):
        base = top + plot_h
        x = left + slot * i + (slot - bar_w) / 2
        for k, (label, values) in enumerate(series):
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / ymax
            base -= h
            parts.append(f'<rect class="mark" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}"'
                         f' height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}" '
                         f'data-value="{value}" data-label="{escape(label)}">'
                         f"<title>{escape(category)}, {escape(label)}: {escape(fmt(value))}"
                         "</title></rect>")
        parts.append(f'<text x="{left + slot * i + slot / 2:.1f}" y="{top + plot_h + 16}" '
                     f'text-anchor="middle" class="axis">{escape(category)}</text>')
    _legend(parts, [s[0] for s in series], left, height - 22)
    parts.append("</svg>")
    return _svg(parts)


def _legend(parts: list[str], labels: Sequence[str], x: float, y: float) -> None:
    for k, label in enumerate(labels):
        text = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" '
                     f'fill="{PALETTE[k % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y:.1f}" class="legend">{escape(text)}</text>')
        x += 24 + 7 * len(text)


def usage_chart(name: str, title: str, rows: Sequence[tuple[str, float, float]], *,
                fmt: Fmt = _plain, empty: str = "no limits to show", width: int = 560) -> Markup:
    """Horizontal bars: how much of each limit is used (label, used, limit)."""
    rows = [r for r in rows if r[2] > 0]
    if not rows:
        return _empty(name, title, empty, width)
    row_h, label_w, right = 34.0, 190.0, 70.0
    height = int(row_h * len(rows) + 16)
    plot_w = width - label_w - right
    parts = _open(name, title, width, height, tall=True)
    for i, (label, used, limit) in enumerate(rows):
        y = 8 + row_h * i
        share = used / limit
        w = plot_w * min(share, 1.0)
        color = PALETTE[4] if share >= 0.9 else PALETTE[1] if share >= 0.7 else PALETTE[2]
        text = label if len(label) <= 26 else label[:25] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" '
                     f'class="axis">{escape(text)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{plot_w:.1f}" height="18" '
                     'fill="#eaeef2" rx="3"/>')
        parts.append(f'<rect class="mark" x="{label_w}" y="{y + 3}" width="{w:.1f}" '
                     f'height="18" fill="{color}" rx="3" data-value="{used}" '
                     f'data-limit="{limit}" data-label="{escape(label)}">'
                     f"<title>{escape(label)}: {escape(fmt(used))} of {escape(fmt(limit))} "
                     f"({share:.1%})</title></rect>")
        parts.append(f'<text x="{label_w + plot_w + 6}" y="{y + 16}" class="axis">'
                     f"{share:.1%}</text>")
    parts.append("</svg>")
    return _svg(parts)


def donut_chart(name: str, title: str, slices: Sequence[tuple[str, float]], *,
                fmt: Fmt = _plain, empty: str = "nothing to show yet",
                center: str = "", width: int = 560, height: int = 220) -> Markup:
    slices = [s for s in slices if s[1] > 0]
    total = sum(v for _, v in slices)
    if not slices or total <= 0:
        return _empty(name, title, empty, width)
    cx, cy, r_out, r_in = 110.0, height / 2, 90.0, 54.0
    parts = _open(name, title, width, height)
    angle = -math.pi / 2
    for k, (label, value) in enumerate(slices):
        sweep = 2 * math.pi * value / total
        color = PALETTE[k % len(PALETTE)]
        tip = f"<title>{escape(label)}: {escape(fmt(value))} ({value / total:.1%})</title>"
        if len(slices) == 1:
            parts.append(f'<circle class="mark" cx="{cx}" cy="{cy}" r="{(r_out + r_in) / 2}" '
                         f'fill="none" stroke="{color}" stroke-width="{r_out - r_in}" '
                         f'data-value="{value}" data-label="{escape(label)}">{tip}</circle>')
        else:
            end = angle + sweep
            large = 1 if sweep > math.pi else 0
            p = [(cx + r * math.cos(a), cy + r * math.sin(a))
                 for r, a in ((r_out, angle), (r_out, end), (r_in, end), (r_in, angle))]
            d = (f"M{p[0][0]:.2f},{p[0][1]:.2f} A{r_out},{r_out} 0 {large} 1 "
                 f"{p[1][0]:.2f},{p[1][1]:.2f} L{p[2][0]:.2f},{p[2][1]:.2f} "
                 f"A{r_in},{r_in} 0 {large} 0 {p[3][0]:.2f},{p[3][1]:.2f} Z")
            parts.append(f'<path class="mark" d="{d}" fill="{color}" stroke="#fff" '
                         f'data-value="{value}" data-label="{escape(label)}">{tip}</path>')
            angle = end
        text = label if len(label) <= 34 else label[:33] + "…"
        ly = 24 + 22 * k
        if ly < height - 8:
            parts.append(f'<rect x="{cx + r_out + 30}" y="{ly - 10}" width="12" height="12" '
                         f'fill="{color}"/>')
            parts.append(f'<text x="{cx + r_out + 48}" y="{ly}" class="legend">'
                         f"{escape(text)}: {escape(fmt(value))}</text>")
    if center:
        parts.append(f'<text x="{cx}" y="{cy + 5}" text-anchor="middle" class="center">'
                     f"{escape(center)}</text>")
    parts.append("</svg>")
    return _svg(parts)


def line_chart(name: str, title: str, labels: Sequence[str], values: Sequence[float], *,
               fmt: Fmt = _plain, empty: str = "nothing to show yet", width: int = 560,
               height: int = 220) -> Markup:
    """A line through (label, value) points, in the order given."""
    if not labels:
        return _empty(name, title, empty, width)
    left, right, top, bottom = 56.0, 16.0, 12.0, 40.0
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = nice_max(max(values))
    parts = _open(name, title, width, height)
    _y_axis(parts, left, top, plot_w, plot_h, ymax)
    n = len(labels)
    xs = [left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]
    ys = [top + plot_h - plot_h * v / ymax for v in values]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    parts.append(f'<polyline points="{points}" fill="none" stroke="{PALETTE[0]}" '
                 'stroke-width="2"/>')
    dots = n <= 60
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if dots or i == n - 1:
            parts.append(f'<circle class="mark" cx="{xs[i]:.1f}" cy="{ys[i]:.1f}" r="3.5" '
                         f'fill="{PALETTE[0]}" data-value="{value}" '
                         f'data-label="{escape(label)}"><title>{escape(label)}: '
                         f"{escape(fmt(value))}</title></circle>")
    for i in sorted({0, n // 2, n - 1}):
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(f'<text x="{xs[i]:.1f}" y="{top + plot_h + 16}" text-anchor="{anchor}" '
                     f'class="axis">{escape(labels[i])}</text>')
    parts.append("</svg>")
    return _svg(parts)


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
STATUS_FILL = {"live": "#dafbe1", "settled": "#ddf4ff", "paid_early": "#ddf4ff",
               "overdue": "#fff8c5", "defaulted": "#ffebe9", "cancelled": "#eaeef2",
               "split": "#f6f8fa", "transferred": "#f6f8fa"}


def custody_graph(name: str, title: str, nodes: Sequence[GraphNode],
                  edges: Sequence[GraphEdge]) -> Markup:
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
    box_w, box_h, col_w, row_h, pad = 178.0, 58.0, 236.0, 72.0, 12.0
    width = int(pad * 2 + col_w * max(depth.values()) + box_w)
    height = int(pad * 2 + row_h * max(next_leaf[0] - 1, 0) + box_h)
    parts = _open(name, title, max(width, 300), max(height, 90), tall=True)

    def pos(node: str) -> tuple[float, float]:
        return pad + col_w * depth[node], pad + row_h * row[node]

    for e in edges:
        if e.source not in depth or e.target not in depth:
            continue
        (x1, y1), (x2, y2) = pos(e.source), pos(e.target)
        sx, sy, tx, ty = x1 + box_w, y1 + box_h / 2, x2, y2 + box_h / 2
        mid = (sx + tx) / 2
        color = EDGE_COLORS.get(e.label, PALETTE[7])
        parts.append(f'<path class="edge" d="M{sx:.1f},{sy:.1f} C{mid:.1f},{sy:.1f} '
                     f'{mid:.1f},{ty:.1f} {tx:.1f},{ty:.1f}" fill="none" stroke="{color}" '
                     f'stroke-width="2" data-edge="{escape(e.label)}"><title>'
                     f"{escape(e.label)}: {escape(e.source)} → {escape(e.target)}</title></path>")
        parts.append(f'<text x="{mid:.1f}" y="{(sy + ty) / 2 - 4:.1f}" text-anchor="middle" '
                     f'class="edge-label">{escape(e.label)}</text>')
    for n in nodes:
        x, y = pos(n.id)
        fill = STATUS_FILL.get(n.status, "#ffffff")
        stroke, sw = ("#cf222e", 3) if n.focus else ("#57606a", 1)
        holder = n.holder if len(n.holder) <= 26 else n.holder[:25] + "…"
        box = (f'<rect class="mark node" x="{x:.1f}" y="{y:.1f}" width="{box_w}" '
               f'height="{box_h}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{sw}" '
               f'data-value="{n.value}" data-node="{escape(n.id)}" '
               f'data-status="{escape(n.status)}"><title>{escape(n.id)}: {escape(n.holder)}, '
               f"{escape(n.amount)}, {escape(n.status)}</title></rect>"
               f'<text x="{x + 8:.1f}" y="{y + 17:.1f}" class="node-title">{escape(holder)}'
               f'</text><text x="{x + 8:.1f}" y="{y + 34:.1f}" class="node-amount">'
               f'{escape(n.amount)}</text><text x="{x + 8:.1f}" y="{y + 50:.1f}" '
               f'class="node-meta">{escape(n.id[-10:])} · {escape(n.status)}</text>')
        if n.href:
            box = f'<a href="{escape(n.href)}">{box}</a>'
        parts.append(box)
    parts.append("</svg>")
    return _svg(parts)
