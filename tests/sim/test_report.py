"""The HTML report: self-contained, with every chart drawn from the simulation's numbers."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .conftest import Simulated

EXPECTED_CHARTS = {
    "volume_by_tier",
    "volume_by_month",
    "rates_by_tier",
    "days_to_cash",
    "days_to_cash_members",
    "defaults_by_tier",
    "losses_by_tier",
    "default_rate_by_health",
}


class _Charts(HTMLParser):
    """Collects each <svg data-chart> and the data-valued marks drawn inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, list[float]] = {}
        self.current: str | None = None
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.current = a.get("data-chart") or "?"
            self.charts[self.current] = []
        elif self.current and "data-value" in a and tag in ("rect", "circle"):
            self.charts[self.current].append(float(a["data-value"] or "nan"))
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if a.get(key):
                self.external.append(str(a[key]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.current = None


def _parse(path: Path) -> _Charts:
    parser = _Charts()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_the_report_holds_every_chart_with_data_and_needs_nothing_from_outside(
    simulated: Simulated,
) -> None:
    charts = _parse(simulated.out / "report.html")
    assert set(charts.charts) == EXPECTED_CHARTS
    for name, values in charts.charts.items():
        if name not in ("defaults_by_tier", "losses_by_tier", "default_rate_by_health"):
            assert values and any(v > 0 for v in values), name
    assert charts.external == [] and charts.scripts == 0


def test_the_report_draws_the_numbers_of_the_analysis(simulated: Simulated) -> None:
    a = simulated.result.analysis
    drawn = _parse(simulated.out / "report.html").charts["volume_by_tier"]
    invoiced_m = [v / 100 / 1e6 for v in a["volume_minor"]["invoiced"]]
    for value in invoiced_m:
        assert any(abs(d - value) <= 1e-5 * max(1.0, value) for d in drawn)


def test_the_report_renders_in_a_browser(simulated: Simulated, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
    ]
    url = (simulated.out / "report.html").resolve().as_uri()
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert dom.count("<svg") == len(EXPECTED_CHARTS)
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *flags, "--window-size=1360,2400", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # A blank page compresses to a few kilobytes; eight drawn charts do not.
    assert len(data) > 60_000
