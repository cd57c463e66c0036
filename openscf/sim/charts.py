"""Small, dependency-free SVG charts for the simulation report.

Inline SVG renders in any browser offline (no script, no CDN). Each chart is an `<svg>`
with `data-chart` naming it; each bar or point carries its value in `data-value` and a
`<title>` tooltip, so tests (and curious readers) can check the numbers drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "line_chart", "nice_max"]

PALETTE = ("#1f6feb", "#e3801c", "#2da44e", "#8250df", "#cf222e", "#6e7781", "#bf8700")
W, H = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 56


def nice_max(value: float) -> float:
    """The top of a chart's value axis: the least 1, 2, 2.5 or 5 x 10^k at or above
    `value` (1 for nothing positive), so that the gridlines fall on round numbers."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10.0**exponent
        if top >= value:
            return top
    return 10.0 ** (exponent + 1)


def _fmt(value: float) -> str:
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def _frame(name: str, title: str, unit: str, top: float, legend: Sequence[str]) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" '
        f'width="100%" style="max-width:{W + 160}px;height:auto" role="img" '
        f'data-chart="{escape(name)}" '
        f'aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="600">{escape(title)}</text>',
    ]
    plot_h = H - TOP - BOTTOM
    for k in range(5):
        value = top * k / 4
        y = TOP + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d0d7de" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" '
            f'text-anchor="end">{_fmt(value)}</text>'
        )
    parts.append(
        f'<text x="12" y="{TOP + plot_h / 2:.0f}" font-size="10" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2:.0f})" '
        f'text-anchor="middle">{escape(unit)}</text>'
    )
    x = LEFT
    for k, name_ in enumerate(legend):
        parts.append(
            f'<rect x="{x}" y="{H - 16}" width="10" height="10" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
        )
        parts.append(f'<text x="{x + 14}" y="{H - 7}" font-size="11">{escape(name_)}</text>')
        x += 24 + 7 * len(name_)
    return parts


def bar_chart(
    name: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str,
) -> str:
    """Grouped bars: one group per category, one bar per series (None draws nothing)."""
    values = [v for _, vs in series for v in vs if v is not None]
    top = nice_max(max(values, default=0.0))
    parts = _frame(name, title, unit, top, [s for s, _ in series])
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    group_w = plot_w / max(1, len(categories))
    bar_w = group_w * 0.8 / max(1, len(series))
    for g, category in enumerate(categories):
        gx = LEFT + g * group_w
        parts.append(
            f'<text x="{gx + group_w / 2:.1f}" y="{TOP + plot_h + 16}" '
            f'font-size="11" text-anchor="middle">{escape(category)}</text>'
        )
        for k, (label, vs) in enumerate(series):
            value = vs[g] if g < len(vs) else None
            if value is None:
                continue
            h = plot_h * value / top
            x = gx + group_w * 0.1 + k * bar_w
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}" '
                f'data-value="{value:.6g}"><title>{escape(category)}, {escape(label)}: '
                f"{_fmt(value)} {escape(unit)}</title></rect>"
            )
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(
    name: str,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    unit: str,
) -> str:
    """One polyline per series over shared x labels, with a dot per point."""
    values = [v for _, vs in series for v in vs]
    top = nice_max(max(values, default=0.0))
    parts = _frame(name, title, unit, top, [s for s, _ in series])
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = max(1, len(x_labels) - 1)
    every = max(1, len(x_labels) // 8)
    for k, label in enumerate(x_labels):
        if k % every == 0:
            x = LEFT + plot_w * k / n
            parts.append(
                f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" font-size="10" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for s, (label, vs) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        points = [
            (LEFT + plot_w * k / n, TOP + plot_h - plot_h * v / top) for k, v in enumerate(vs)
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for (x, y), v, xl in zip(points, vs, x_labels, strict=False):
            parts.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" '
                f'fill="{colour}" data-value="{v:.6g}"><title>{escape(xl)}, '
                f"{escape(label)}: {_fmt(v)} {escape(unit)}</title></circle>"
            )
    parts.append("</svg>")
    return "\n".join(parts)
