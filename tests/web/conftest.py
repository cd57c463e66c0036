"""Browser fixtures: Debian's Chromium driven by Playwright, against a served demo.

The tests need /usr/bin/chromium (`apt-get install chromium`; `.ci/run` installs it) and
skip, naming it, when it is absent. Playwright's own browser downloads are never used.
Screenshots go to test-artifacts/web/ (gitignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .served import Site, start_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 768}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM} "
            "(apt-get install -y chromium); it is not installed"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    served = start_site(tmp_path_factory.mktemp("web"))
    yield served
    served.stop()


@dataclass
class Visit:
    """One user's browser tab, with every console error and page error it saw."""

    page: Any
    site: Site
    login: str
    problems: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        return self.page.goto(self.site.base_url + path)

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def flash(self) -> str:
        return str(self.page.locator("[data-flash=done]").inner_text())

    def flash_ref(self) -> str:
        found = re.search(r"\(((?:rcv|apr|fin|ofr)_[A-Za-z0-9_]+)\)", self.flash())
        assert found, self.flash()
        return found.group(1)

    def say_yes(self) -> str:
        """Answer the question asked before an irrevocable step with yes; return it."""
        question = str(self.page.locator("[data-question]").inner_text())
        self.page.locator("form[data-form=confirm-step] button").click()
        return question

    def assert_clean(self) -> None:
        """No script error, no CSP violation, nothing wider than a laptop screen."""
        assert self.problems == [], self.problems
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= LAPTOP["width"], f"the page is {width}px wide"


@pytest.fixture
def open_as(browser: Any, site: Site) -> Iterator[Callable[[str], Visit]]:
    contexts: list[Any] = []

    def login(name: str) -> Visit:
        context = browser.new_context(viewport=LAPTOP)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        visit = Visit(page, site, name)
        page.on(
            "console",
            lambda m: (
                visit.problems.append(f"console: {m.text} at {m.location}")
                if m.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda e: visit.problems.append(f"page error: {e}"))
        visit.go("/login")
        page.fill("input[name=login]", name)
        page.fill("input[name=password]", site.actors[name].password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{name} could not log in"
        return visit

    yield login
    for context in contexts:
        context.close()
