"""Real-browser set-up: Debian's chromium driven by playwright against pytest-django's live_server.

Skipped, saying why, when /usr/bin/chromium or the playwright package is missing; never
downloads a browser (no ``playwright install``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # git-ignored, under the project

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium per test module."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    if sync_playwright is None:
        pytest.skip("the playwright package is missing: pip install playwright (no `playwright install` needed)")
    # playwright's sync API keeps an asyncio loop in the test's thread; Django then refuses
    # the test's own ORM calls (creating the teacher) as "async-unsafe", although nothing
    # is async. Allowed only while the browser runs, so other tests keep the check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as driver:
            chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh laptop-sized tab (own cookies) per test."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized tab."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """Save a screenshot (the whole page, or what the screen shows) under var/screenshots/."""

    def take(tab: Page, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=full_page)
        return path

    return take


PASSWORD = "pw-for-browser-tests-2026"


@pytest.fixture
def trained() -> dict[str, Any]:
    """300 labelled rows and a champion per track."""
    from retraining.training import model_versions_train
    from tests.builders import import_labelled, labelled_students_csv

    import_labelled(labelled_students_csv(300))
    return {v.track: v for v in model_versions_train(by="tests")}


@pytest.fixture
def teacher() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("ms.silva", password=PASSWORD)
