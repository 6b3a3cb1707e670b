"""What the console's browser tests share: Debian chromium through Playwright, logging in
through the real login page, and a screenshot of each step kept as a test artefact."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.web.webtools import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"no chromium at {CHROMIUM} (apt-get install -y chromium)"),
]


async def launch(pw: Any) -> Any:
    return await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)


async def log_in(page: Any, base: str, login: str, landing: str = "/agent") -> None:
    await page.goto(f"{base}/login")
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit].btn-primary")
    await page.wait_for_url(f"{base}{landing}")


async def acd_login(page: Any, extension: str) -> None:
    from playwright.async_api import expect

    await page.fill("#acd-extension", extension)
    await page.click("#acd-login-submit")
    await expect(page.locator("#state-badge")).to_have_attribute("data-state", "available")


async def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar lands mid-page
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
