"""Circular trading: invoices that go round a circle of firms, paid by one piece.

A ring of firms invoices itself in a circle (A bills B, B bills C, C bills A) and passes
one receivable round to "pay" each hop, then sells it as if it were trade. Genuine trade
has circles too (customers selling back to their suppliers, related firms supplying each
other), so a cycle in the trade graph is no evidence by itself; what marks a ring is how
its invoices line up:

- timing: every hop invoiced within a few days (`window_days`), on orders entered
  together;
- amounts: each hop bills about the same (within `max_amount_ratio`), a little above the
  piece that pays it;
- the piece: the hops are paid by transfers of one receivable (the same root), on one day;
- repetition: the same circle closes again and again (shown as evidence, not scored: a
  ring's first round is as suspect as its tenth).

The search: the directed graph of seller -> buyer relationships, its strongly connected
components (a cycle lies inside one), then simple cycles up to `max_length` firms
(networkx), and on each cycle the invoices of its edges matched into rounds. Each hop
invoice of a round scoring at least `threshold` is flagged, with the round as evidence.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import networkx as nx

from openscf.risk.fraud.data import Invoice, TradeData
from openscf.risk.fraud.flags import FraudFlag

__all__ = ["RingConfig", "detect_rings"]


@dataclass(frozen=True)
class RingConfig:
    threshold: float = 0.7
    min_length: int = 2
    max_length: int = 4
    window_days: int = 5
    max_amount_ratio: float = 1.35
    max_cycles: int = 200_000
    max_combinations: int = 64


@dataclass(frozen=True)
class _Round:
    score: float
    hops: tuple[Invoice, ...]
    span_days: int
    amount_ratio: float
    order_span_days: int | None
    same_piece: bool
    piece_root: str | None


def _piece_roots(data: TradeData) -> dict[str, tuple[str, date]]:
    """The root receivable (and day) that paid each invoice paid with a piece."""
    out: dict[str, tuple[str, date]] = {}
    for p in data.payments:
        if p.invoice_id is None or p.receivable_id is None:
            continue
        r = data.receivables.get(p.receivable_id)
        if r is not None:
            out[p.invoice_id] = (r.root_id, p.paid_on)
    return out


def _score_round(
    hops: tuple[Invoice, ...],
    data: TradeData,
    roots: dict[str, tuple[str, date]],
    cfg: RingConfig,
) -> _Round | None:
    days = [h.issued_on for h in hops]
    span = (max(days) - min(days)).days
    amounts = [h.amount_minor for h in hops]
    if min(amounts) <= 0:
        return None
    ratio = max(amounts) / min(amounts)
    if span > cfg.window_days or ratio > cfg.max_amount_ratio:
        return None
    timing = 1.0 - span / (cfg.window_days + 1)
    closeness = 1.0 - math.log(ratio) / math.log(cfg.max_amount_ratio)
    order_days = [data.orders[h.order_id].ordered_on for h in hops if h.order_id in data.orders]
    order_span = (max(order_days) - min(order_days)).days if len(order_days) == len(hops) else None
    orders_together = 0.0 if order_span is None else max(0.0, 1.0 - order_span / 5)
    paid = [roots.get(h.invoice_id) for h in hops]
    roots_seen = {p[0] for p in paid if p is not None}
    same_piece = all(p is not None for p in paid) and len(roots_seen) == 1
    score = 0.3 * timing + 0.3 * closeness + 0.2 * orders_together + 0.2 * same_piece
    return _Round(
        score,
        hops,
        span,
        ratio,
        order_span,
        same_piece,
        next(iter(roots_seen)) if same_piece else None,
    )


def _rounds_on_cycle(
    cycle: list[str],
    edges: dict[tuple[str, str], list[Invoice]],
    dates: dict[tuple[str, str], list[date]],
    data: TradeData,
    roots: dict[str, tuple[str, date]],
    cfg: RingConfig,
) -> list[_Round]:
    pairs = [(cycle[m], cycle[(m + 1) % len(cycle)]) for m in range(len(cycle))]
    # Anchor on the edge with the fewest invoices; match the others around each of them.
    anchor = min(range(len(pairs)), key=lambda m: len(edges[pairs[m]]))
    found = []
    for inv in edges[pairs[anchor]]:
        lo = date.fromordinal(inv.issued_on.toordinal() - cfg.window_days)
        hi = date.fromordinal(inv.issued_on.toordinal() + cfg.window_days)
        options: list[list[Invoice]] = []
        for m, pair in enumerate(pairs):
            if m == anchor:
                options.append([inv])
                continue
            d = dates[pair]
            near = edges[pair][bisect.bisect_left(d, lo) : bisect.bisect_right(d, hi)]
            near = [
                x
                for x in near
                if max(x.amount_minor, inv.amount_minor)
                <= cfg.max_amount_ratio * min(x.amount_minor, inv.amount_minor)
            ]
            if not near:
                break
            options.append(near)
        else:
            best: _Round | None = None
            for hops in itertools.islice(itertools.product(*options), cfg.max_combinations):
                r = _score_round(tuple(hops), data, roots, cfg)
                if r is not None and (best is None or r.score > best.score):
                    best = r
            if best is not None:
                found.append(best)
    return found


def detect_rings(data: TradeData, config: RingConfig | None = None) -> list[FraudFlag]:
    """Flag the hop invoices of rounds that go round a circle of firms."""
    cfg = config or RingConfig()
    edges: dict[tuple[str, str], list[Invoice]] = defaultdict(list)
    for inv in data.invoices:
        if inv.seller_id != inv.buyer_id:
            edges[(inv.seller_id, inv.buyer_id)].append(inv)
    for invs in edges.values():
        invs.sort(key=lambda x: (x.issued_on, x.invoice_id))
    dates = {pair: [x.issued_on for x in invs] for pair, invs in edges.items()}
    graph = nx.DiGraph()
    graph.add_edges_from(edges)
    roots = _piece_roots(data)
    best: dict[str, tuple[_Round, list[str], int]] = {}
    n_cycles = 0
    for component in nx.strongly_connected_components(graph):
        if len(component) < cfg.min_length:
            continue
        sub = graph.subgraph(component)
        for cycle in nx.simple_cycles(sub, length_bound=cfg.max_length):
            if len(cycle) < cfg.min_length:
                continue
            n_cycles += 1
            if n_cycles > cfg.max_cycles:
                break
            rounds = _rounds_on_cycle(cycle, edges, dates, data, roots, cfg)
            strong = [r for r in rounds if r.score >= cfg.threshold]
            for r in strong:
                for hop in r.hops:
                    held = best.get(hop.invoice_id)
                    if held is None or r.score > held[0].score:
                        best[hop.invoice_id] = (r, cycle, len(strong))
    return [_flag(inv_id, *held) for inv_id, held in sorted(best.items())]


def _flag(invoice_id: str, r: _Round, cycle: list[str], repeats: int) -> FraudFlag:
    hop = next(h for h in r.hops if h.invoice_id == invoice_id)
    circle = " -> ".join([*cycle, cycle[0]])
    summary = (
        f"one of {len(r.hops)} invoices round the circle {circle} issued within "
        f"{r.span_days} days, amounts within {100 * (r.amount_ratio - 1):.1f} % of each other"
        + (", each hop paid by the same piece" if r.same_piece else "")
        + (
            f", on orders entered within {r.order_span_days} days"
            if r.order_span_days is not None and r.order_span_days <= 5
            else ""
        )
        + f"; the circle closed {repeats} times"
    )
    return FraudFlag(
        kind="circular_trading",
        invoice_id=invoice_id,
        org_id=hop.seller_id,
        score=r.score,
        flagged_on=max(h.issued_on for h in r.hops),
        summary=summary,
        evidence={
            "circle": [*cycle, cycle[0]],
            "round_invoice_ids": [h.invoice_id for h in r.hops],
            "round_amounts_minor": [h.amount_minor for h in r.hops],
            "issued_within_days": r.span_days,
            "amount_ratio": round(r.amount_ratio, 4),
            "orders_entered_within_days": r.order_span_days,
            "paid_by_one_piece": r.same_piece,
            "piece_root_id": r.piece_root,
            "rounds_on_circle": repeats,
        },
    )
