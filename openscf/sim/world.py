"""The shape of a simulated economy: who exists, who sells to whom, who owns whom.

Anchors are large buyers in a few industries; suppliers sit in tiers 1..N below them with
heavy-tailed (Pareto) annual sales, each selling to one to three buyers of the tier above
(multi-sourcing both ways), and some trade also runs back up (customers selling to their
suppliers, related firms supplying each other in a circle); funders buy receivables. Some
suppliers belong to ownership groups; circular-trading rings (fraud) are drawn from groups
and from unrelated firms alike. Which suppliers join the
network (are onboarded into anchors' programs) is decided here too, so that firms left
out give the "without the network" baseline.

Everything is drawn from one seeded generator, so the world is a pure function of the
config.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from openscf.domain.validation import make_iban
from openscf.sim.config import SimConfig

__all__ = ["INDUSTRIES", "Firm", "World", "build_world", "iban_for"]

INDUSTRIES = ("automotive", "electronics", "food", "retail", "machinery")

# What each industry's anchor is called and what its suppliers make, tier by tier (deeper
# tiers make simpler things: parts, then materials, then services and raw inputs).
_ANCHOR_WORD = {
    "automotive": "Automotive",
    "electronics": "Electronics",
    "food": "Foods",
    "retail": "Retail",
    "machinery": "Maschinenbau",
}
_TRADE = {
    "automotive": (
        "Drivetrain",
        "Sitzsysteme",
        "Stahlguss",
        "Kabelwerk",
        "Gummiwerk",
        "Schrauben",
        "Draht",
        "Lacke",
        "Zerspanung",
        "Platinen",
    ),
    "electronics": (
        "Components",
        "PCB",
        "Connectors",
        "Displays",
        "Sensors",
        "Plastics",
        "Metalworks",
        "Coatings",
        "Wafer Services",
        "Assembly",
    ),
    "food": (
        "Dairy",
        "Bakery Supplies",
        "Packaging",
        "Farms",
        "Mills",
        "Cold Chain",
        "Ingredients",
        "Bottling",
        "Labels",
        "Produce",
    ),
    "retail": (
        "Apparel",
        "Home Goods",
        "Textiles",
        "Cartons",
        "Logistics",
        "Toys",
        "Footwear",
        "Printing",
        "Fixtures",
        "Cosmetics",
    ),
    "machinery": (
        "Hydraulics",
        "Gears",
        "Castings",
        "Bearings",
        "Controls",
        "Welding",
        "Forgings",
        "Tooling",
        "Springs",
        "Machining",
    ),
}
_SURNAMES = (
    "Kessler",
    "Lindner",
    "Hofmann",
    "Brandt",
    "Vogel",
    "Schulz",
    "Roth",
    "Weber",
    "Krause",
    "Fischer",
    "Neumann",
    "Wolf",
    "Becker",
    "Schmitt",
    "Lange",
    "Koch",
    "Jung",
    "Bauer",
    "Richter",
    "Klein",
    "Meyer",
    "Wagner",
    "Huber",
    "Maier",
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Mulder",
    "Gruber",
    "Pichler",
    "Moser",
    "Steiner",
    "Nowak",
    "Kowalski",
    "Wojcik",
    "Kaminski",
    "Lewandowski",
    "Zielinski",
    "Berger",
    "Frank",
    "Keller",
    "Sommer",
    "Hartmann",
    "Kaiser",
    "Peters",
    "Dekker",
    "Brouwer",
    "Hendriks",
)
# Countries with their IBAN layout: (bank code, BIC, account digits); legal forms.
_COUNTRIES = {
    "DE": (
        [("37040044", "COBADEFFXXX"), ("50070010", "DEUTDEFFXXX"), ("70020270", "HYVEDEMMXXX")],
        10,
        ("GmbH", "GmbH & Co. KG", "KG", "e.K."),
    ),
    "NL": (
        [("INGB", "INGBNL2AXXX"), ("RABO", "RABONL2UXXX"), ("ABNA", "ABNANL2AXXX")],
        10,
        ("B.V.",),
    ),
    "AT": (
        [("12000", "BKAUATWWXXX"), ("31000", "RZBAATWWXXX"), ("20111", "GIBAATWWXXX")],
        11,
        ("GmbH", "KG"),
    ),
    "PL": (
        [("10201026", "BPKOPLPWXXX"), ("11602202", "BIGBPLPWXXX"), ("10501445", "INGBPLPWXXX")],
        16,
        ("Sp. z o.o.", "S.A."),
    ),
}
_COUNTRY_ORDER = ("DE", "NL", "AT", "PL")
_COUNTRY_WEIGHTS = (0.55, 0.17, 0.13, 0.15)
_FUNDERS = (
    "Hansa Bank AG",
    "Rhein Factoring GmbH",
    "Noord Trade Finance N.V.",
    "Alpen Kreditbank AG",
    "Baltic Receivables Fund S.A.",
    "Main Capital Partners KG",
    "Danube Invoice Finance GmbH",
    "Elbe Supply Chain Fund",
)

# Median annual sales (EUR) by supplier tier; Pareto tails above it.
MEDIAN_SALES = {1: 12e6, 2: 4e6, 3: 1.2e6, 4: 0.6e6, 5: 0.4e6, 6: 0.3e6}
_PARETO_ALPHA = 1.25


@dataclass
class Firm:
    """One simulated firm. `org_id` and users are the platform's names for it."""

    idx: int
    kind: str  # anchor | funder | supplier
    tier: int  # 0 for anchors, 1..N for suppliers, -1 for funders
    industry: str
    name: str
    country: str
    iban: str
    bic: str
    sales_eur: float
    org_id: str
    maker: str
    checker: str | None = None
    group: int = -1
    # Hidden: long-run mean of the financial-health process (distance to default).
    health_mean: float = 3.0
    # Programs (anchor indices) this firm is onboarded into; empty means off-network.
    programs: list[int] = field(default_factory=list)
    customers: list[int] = field(default_factory=list)  # link indices where it sells
    suppliers: list[int] = field(default_factory=list)  # link indices where it buys
    # Anchors: payment terms (days) and punctuality; funders: pricing margin.
    terms_days: int = 60
    late_share: float = 0.05
    margin: float = 0.0


@dataclass
class World:
    config: SimConfig
    firms: list[Firm]
    anchors: list[int]
    funders: list[int]
    tiers: dict[int, list[int]]
    # Trade links (seller sells to buyer), as parallel lists.
    link_seller: list[int]
    link_buyer: list[int]
    link_share: list[float]
    groups: list[list[int]]
    rings: list[list[int]]
    # Each anchor's program: the funders admitted to it.
    program_funders: dict[int, list[int]]

    @property
    def suppliers(self) -> list[int]:
        return [i for t in sorted(self.tiers) for i in self.tiers[t]]


def iban_for(country: str, bank: str, account: int) -> str:
    """A valid IBAN (mod-97 check digits) for a bank code and account number."""
    digits = _COUNTRIES[country][1]
    return make_iban(country, f"{bank}{account:0{digits}d}")


def _counts(config: SimConfig) -> tuple[int, int, list[int]]:
    n = config.firms
    funders = min(6, max(2, n // 2000 + 2))
    anchors = min(40, max(2, round(n * 0.002)))
    suppliers = n - funders - anchors
    weights = np.array([1.6**k for k in range(config.tiers)])
    raw = suppliers * weights / weights.sum()
    per_tier = [max(1, int(x)) for x in raw]
    per_tier[-1] += suppliers - sum(per_tier)
    if per_tier[-1] < 1:
        raise ValueError(f"{n} firms are too few for {config.tiers} tiers")
    return anchors, funders, per_tier


def build_world(config: SimConfig, rng: np.random.Generator) -> World:
    """Draw the firms, trade links, ownership groups and network membership."""
    n_anchors, n_funders, per_tier = _counts(config)
    firms: list[Firm] = []
    account = iter(range(100_000, 10**9))

    def new_firm(
        kind: str, tier: int, industry: str, name: str, country: str, sales: float
    ) -> Firm:
        banks = _COUNTRIES[country][0]
        bank, bic = banks[int(rng.integers(len(banks)))]
        idx = len(firms)
        firm = Firm(
            idx=idx,
            kind=kind,
            tier=tier,
            industry=industry,
            name=name,
            country=country,
            iban=iban_for(country, bank, next(account)),
            bic=bic,
            sales_eur=sales,
            org_id=f"org_sim{idx:05d}",
            maker=f"usr_sim{idx:05d}.m",
        )
        firms.append(firm)
        return firm

    anchors: list[int] = []
    for a in range(n_anchors):
        industry = INDUSTRIES[a % len(INDUSTRIES)]
        surname = _SURNAMES[(7 * a + 3) % len(_SURNAMES)]
        suffix = "AG" if a % 3 else "SE"
        firm = new_firm(
            "anchor",
            0,
            industry,
            f"{surname} {_ANCHOR_WORD[industry]} {suffix}",
            "DE",
            float(rng.lognormal(np.log(4e9), 0.6)),
        )
        firm.checker = f"usr_sim{firm.idx:05d}.c"
        # Large buyers stretch terms (the reason supply-chain finance exists) and mostly pay
        # on time; one anchor in five is weaker (rated BB, not A), pays late more often and
        # could default within the horizon.
        weak = n_anchors >= 5 and a % 5 == 4
        firm.health_mean = 1.9 if weak else float(rng.uniform(3.6, 4.6))
        firm.terms_days = int(rng.choice([60, 75, 90, 90, 120]))
        firm.late_share = 0.12 if weak else float(rng.uniform(0.01, 0.05))
        anchors.append(firm.idx)

    funders: list[int] = []
    for f in range(n_funders):
        firm = new_firm(
            "funder",
            -1,
            "finance",
            _FUNDERS[f % len(_FUNDERS)]
            + (f" {f // len(_FUNDERS) + 1}" if f >= len(_FUNDERS) else ""),
            "DE",
            0.0,
        )
        firm.health_mean = 5.0
        # Each funder prices at its own margin over the anchor's credit spread (bp/100).
        firm.margin = float(rng.uniform(0.0035, 0.0120))
        funders.append(firm.idx)

    tiers: dict[int, list[int]] = {}
    for tier, count in enumerate(per_tier, start=1):
        median = MEDIAN_SALES[tier]
        xmin = median / 2 ** (1 / _PARETO_ALPHA)
        sales = np.minimum(xmin * (1 + rng.pareto(_PARETO_ALPHA, count)), median * 150)
        countries = rng.choice(len(_COUNTRY_ORDER), size=count, p=_COUNTRY_WEIGHTS)
        tiers[tier] = []
        for k in range(count):
            country = _COUNTRY_ORDER[int(countries[k])]
            forms = _COUNTRIES[country][2]
            firm = new_firm("supplier", tier, "", "", country, float(sales[k]))
            surname = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
            firm.name = f"{surname} {{trade}} {forms[int(rng.integers(len(forms)))]}"
            tiers[tier].append(firm.idx)

    link_seller: list[int] = []
    link_buyer: list[int] = []
    link_share: list[float] = []

    def link(seller: Firm, buyers: list[int], share: float | None = None) -> None:
        shares = [share] if share is not None else rng.dirichlet(np.full(len(buyers), 2.0))
        for buyer, share in zip(buyers, shares, strict=True):
            seller.customers.append(len(link_seller))
            firms[buyer].suppliers.append(len(link_seller))
            link_seller.append(seller.idx)
            link_buyer.append(buyer)
            link_share.append(float(share))

    # Multi-sourcing: each supplier sells to 1-3 buyers of the tier above, chosen by buyer
    # size (big buyers have many suppliers) and mostly within the buyer's industry.
    for tier in sorted(tiers):
        buyers = anchors if tier == 1 else tiers[tier - 1]
        weights = np.array([firms[b].sales_eur for b in buyers]) ** 0.7
        weights = weights / weights.sum()
        by_industry: dict[str, list[int]] = {}
        for b in buyers:
            by_industry.setdefault(firms[b].industry, []).append(b)
        for s in tiers[tier]:
            seller = firms[s]
            primary = buyers[int(rng.choice(len(buyers), p=weights))]
            seller.industry = firms[primary].industry
            wanted = int(rng.choice([1, 2, 3], p=[0.5, 0.33, 0.17]))
            chosen = [primary]
            for _ in range(wanted - 1):
                pool = by_industry[seller.industry] if rng.random() < 0.75 else buyers
                candidate = pool[int(rng.integers(len(pool)))]
                if candidate not in chosen:
                    chosen.append(candidate)
            link(seller, chosen)
            trades = _TRADE[seller.industry]
            seller.name = seller.name.replace(
                "{trade}", trades[(tier * 3 + int(rng.integers(4))) % len(trades)]
            )

    # Financial health: bigger and higher-tier firms are healthier on average.
    for tier, members in tiers.items():
        median = MEDIAN_SALES[tier]
        for s in members:
            firm = firms[s]
            firm.health_mean = float(
                2.6
                - 0.25 * (tier - 1)
                + 0.25 * np.log(firm.sales_eur / median)
                + rng.normal(0, 0.45)
            )

    # Ownership groups: related firms in one industry, across all tiers. Group numbers are
    # a random permutation per seed (a group's number says nothing about what it does).
    suppliers = [s for t in sorted(tiers) for s in tiers[t]]
    groups: list[list[int]] = []
    n_groups = max(1, len(suppliers) // 15)
    taken: set[int] = set()
    by_industry_all: dict[str, list[int]] = {}
    for s in suppliers:
        by_industry_all.setdefault(firms[s].industry, []).append(s)
    for head in [suppliers[int(i)] for i in rng.permutation(len(suppliers))]:
        if len(groups) >= n_groups:
            break
        if head in taken:
            continue
        same = [s for s in by_industry_all[firms[head].industry] if s not in taken and s != head]
        size = int(rng.choice([2, 3, 3, 4]))
        if len(same) < size - 1:
            continue
        picks = [same[int(i)] for i in rng.choice(len(same), size=size - 1, replace=False)]
        groups.append([head, *picks])
        taken.update(groups[-1])
    numbers = rng.permutation(len(groups))
    for k, group in enumerate(groups):
        for member in group:
            firms[member].group = int(numbers[k])
    _add_trade_cycles(rng, firms, tiers, groups, link_buyer, link)

    # Network membership. Tier-1 suppliers join most of their anchors' programs; deeper
    # suppliers adopt with probability `adoption` and then join every program whose
    # receivables their (member) customers could pay them with.
    for s in tiers[1]:
        for li in firms[s].customers:
            if firms[link_buyer[li]].kind == "anchor" and rng.random() < 0.9:
                firms[s].programs.append(link_buyer[li])
    for tier in sorted(tiers)[1:]:
        for s in tiers[tier]:
            if rng.random() >= config.adoption:
                continue
            reach: list[int] = []
            for li in firms[s].customers:
                for p in firms[link_buyer[li]].programs:
                    if p not in reach:
                        reach.append(p)
            firms[s].programs = sorted(reach)

    rings = _pick_rings(config, rng, firms, tiers, groups)

    program_funders: dict[int, list[int]] = {}
    for k, a in enumerate(anchors):
        count = min(len(funders), 2 + k % 3)
        start = k % len(funders)
        program_funders[a] = [funders[(start + j) % len(funders)] for j in range(count)]

    return World(
        config=config,
        firms=firms,
        anchors=anchors,
        funders=funders,
        tiers=tiers,
        link_seller=link_seller,
        link_buyer=link_buyer,
        link_share=link_share,
        groups=groups,
        rings=rings,
        program_funders=program_funders,
    )


# Circular-trading rings per 1,000 suppliers and year (at fraud = 1).
RINGS_PER_1000_SUPPLIER_YEARS = 1.0


def _pick_rings(
    config: SimConfig,
    rng: np.random.Generator,
    firms: list[Firm],
    tiers: dict[int, list[int]],
    groups: list[list[int]],
) -> list[list[int]]:
    """Circular-trading rings of three or four network members in one program: about half
    an ownership group (related firms), the rest firms with nothing in common but an anchor
    (a ring recruited by a broker). Members come from every tier, like the network's."""
    suppliers = [s for t in sorted(tiers) for s in tiers[t]]
    expected = (
        len(suppliers)
        / 1000
        * config.months
        / 12
        * RINGS_PER_1000_SUPPLIER_YEARS
        * min(config.fraud, 3.0)
    )
    n_rings = max(1, round(expected)) if config.fraud > 0 else 0
    rings: list[list[int]] = []
    used: set[int] = set()
    members_of: dict[int, list[int]] = {}
    for s in suppliers:
        for p in firms[s].programs:
            members_of.setdefault(p, []).append(s)
    big_groups = [g for g in groups if len(g) >= 3]
    order = [big_groups[int(i)] for i in rng.permutation(len(big_groups))]
    attempts = 0
    while len(rings) < n_rings and attempts < 20 * n_rings + 20:
        attempts += 1
        if order and rng.random() < 0.5:
            ring = [m for m in order.pop() if m not in used]
            if len(ring) < 3:
                continue
            programs = [p for m in ring for p in firms[m].programs]
            if not programs:
                continue
            program = programs[int(rng.integers(len(programs)))]
            # Fraudsters make sure they are on the network, in one program.
            for member in ring:
                if program not in firms[member].programs:
                    firms[member].programs.append(program)
        else:
            if not members_of:
                break
            keys = sorted(members_of)
            program = keys[int(rng.integers(len(keys)))]
            pool = [m for m in members_of[program] if m not in used]
            size = int(rng.choice([3, 4]))
            if len(pool) < size:
                continue
            ring = [pool[int(i)] for i in rng.choice(len(pool), size=size, replace=False)]
        used.update(ring)
        rings.append(ring)
    return rings


def _add_trade_cycles(
    rng: np.random.Generator,
    firms: list[Firm],
    tiers: dict[int, list[int]],
    groups: list[list[int]],
    link_buyer: list[int],
    link: Callable[..., None],
) -> None:
    """Legitimate cycles in trade: some suppliers' customers sell back to them (scrap,
    tooling, materials on consignment), and some related firms trade in a circle inside
    their group (intra-group supply), so a cycle of invoices is no fraud by itself."""
    for tier in sorted(tiers)[1:]:
        for s in tiers[tier]:
            if rng.random() >= 0.06:
                continue
            customers = [link_buyer[li] for li in firms[s].customers]
            customer = customers[int(rng.integers(len(customers)))]
            link(firms[customer], [s], share=float(rng.uniform(0.03, 0.15)))
    for group in groups:
        if len(group) >= 3 and rng.random() < 0.3:
            for a, b in zip(group, [*group[1:], group[0]], strict=True):
                link(firms[a], [b], share=float(rng.uniform(0.05, 0.2)))
