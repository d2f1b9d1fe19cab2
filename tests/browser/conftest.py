"""The web client in real headless Chromium (Debian's, installed by scripts/install-chromium.sh),
against the local stack serving the production build."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e.conftest import free_port, local_stack

ROOT = Path(__file__).resolve().parents[2]
WEB_BUILD = ROOT / "web" / "dist"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="package")
def web_stack() -> Iterator[str]:
    assert (WEB_BUILD / "index.html").is_file(), "build the client first: make test does (npm run build in web/)"
    port = free_port()
    with local_stack(port) as (_, gateway, _, _, _):
        gateway.web_root = WEB_BUILD
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser: Browser, web_stack: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Opens the app in a fresh browser context (a separate person); screenshots them all on failure.
    Every test also checks the app never breaks its Content-Security-Policy (the one CloudFront sends)."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    violations: list[str] = []

    def note(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def open_page(**context_options: Any) -> Page:
        context = browser.new_context(base_url=web_stack, **context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", note)
        page.goto("/")
        pages.append(page)
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for index, page in enumerate(pages):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True)
    for context in contexts:
        context.close()
    assert violations == [], violations


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
