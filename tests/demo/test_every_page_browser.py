"""Issue 14: every page of the product, at 1366×768 and 1920×1080, in French and English,
as an agent, a supervisor and an administrator meet them on the running demo. Each page
answers, shows no script error, does not scroll sideways, and is in the language asked;
a screenshot of each is kept under test-artifacts/pages/<lang>-<width>/ (to be looked at)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.demo.process import DemoProcess, free_port

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SIZES = ((1366, 768), (1920, 1080))
LANGS = ("fr", "en")
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"no chromium at {CHROMIUM} (apt-get install -y chromium)"),
]


class Visit:
    """One person's browser at one size and language: pages are checked and kept."""

    def __init__(self, page: Any, base: str, lang: str, size: tuple[int, int]) -> None:
        self.page, self.base, self.lang = page, base, lang
        self.folder = ARTIFACTS / f"{lang}-{size[0]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}")
                if m.type == "error" else None)

    async def log_in(self, login: str, password: str) -> None:
        await self.page.goto(f"{self.base}/login")
        await self.page.fill("#login", login)
        await self.page.fill("#password", password)
        async with self.page.expect_navigation():
            await self.page.click("button[type=submit].btn-primary")
        if await self.page.get_attribute("html", "lang") != self.lang:
            async with self.page.expect_navigation():
                await self.page.click(f'.lang-switch button[value="{self.lang}"]')

    async def check(self, name: str) -> None:
        page = self.page
        await page.wait_for_load_state("networkidle")
        assert await page.get_attribute("html", "lang") == self.lang, page.url
        sideways = await page.evaluate(SIDEWAYS)
        assert sideways <= 1, f"{page.url} scrolls sideways by {sideways}px"
        assert not self.errors, self.errors
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)

    async def visit(self, path: str, name: str) -> None:
        response = await self.page.goto(f"{self.base}{path}")
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        await self.check(name)


async def test_every_page_in_both_languages_and_sizes(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    # No generated traffic: the bursts below bring the calls, when the pages want them.
    demo = DemoProcess(tmp_path / "data", free_port(), "--no-traffic")
    try:
        demo.wait_ready()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                for lang in LANGS:
                    for size in SIZES:
                        await _walk(browser, demo.base, lang, size, expect)
            finally:
                await browser.close()
    finally:
        status = demo.stop()
    assert status == 0, demo.output[-3000:]
    assert "Traceback" not in demo.output, demo.output[-5000:]


async def _walk(browser: Any, base: str, lang: str, size: tuple[int, int], expect: Any) -> None:
    viewport = {"width": size[0], "height": size[1]}

    async def person() -> Visit:
        context = await browser.new_context(viewport=viewport, locale=f"{lang}-FR"
                                            if lang == "fr" else "en-GB")
        return Visit(await context.new_page(), base, lang, size)

    anonymous = await person()
    await anonymous.visit("/login", "00-login")

    admin = await person()
    await admin.log_in("admin", "demo-admin")
    for path, name in (
            ("/admin/users", "10-admin-users"), ("/admin/users/new", "11-admin-user-new"),
            ("/admin/groups", "13-admin-groups"), ("/admin/groups/new", "14-admin-group-new"),
            ("/admin/reference", "16-admin-reference"), ("/admin/tokens", "17-admin-tokens"),
            ("/admin/audit", "18-admin-audit"), ("/admin/traffic", "19-admin-traffic")):
        await admin.visit(path, name)
    await admin.visit("/admin/users", "10-admin-users")
    # Alice's pages: an agent's history has call-centre activity to show.
    edit = await admin.page.locator("td > a", has_text=re.compile("^alice$")).get_attribute("href")
    user_id = re.search(r"/admin/users/(\d+)", edit).group(1)  # type: ignore[union-attr]
    await admin.visit(f"/admin/users/{user_id}", "12-admin-user-edit")
    await admin.visit(f"/admin/users/{user_id}/history", "12-admin-user-history")
    await admin.visit("/admin/groups", "13-admin-groups")
    groups = admin.page.locator('a[href^="/admin/groups/"]:not([href$="/new"])')
    group = await groups.first.get_attribute("href")
    await admin.visit(group, "15-admin-group-edit")

    async def burst(count: int, group: str = "") -> None:
        await admin.page.goto(f"{base}/admin/traffic")
        await admin.page.fill("#f-count", str(count))
        await admin.page.select_option("#f-group", group)
        await admin.page.click("#burst-send")
        await expect(admin.page.locator(".alert-success")).to_be_visible()

    # Calls for the supervisor to watch (the simulated agents take them).
    await burst(12)
    supervisor = await person()
    await supervisor.log_in("superviseur", "demo-super")
    await supervisor.visit("/supervision", "20-supervision")
    await expect(supervisor.page.locator("#sv-conn")).to_have_attribute("data-state", "open")
    await supervisor.page.wait_for_timeout(1500)  # a few live events
    await supervisor.check("20-supervision")
    body = supervisor.page.locator("body")
    for report, name in (("calls", "21-stats-calls"), ("kpi_per_group", "22-stats-kpi-groups"),
                         ("calls_per_agent", "23-stats-calls-per-agent"),
                         ("pauses", "24-stats-pauses")):
        # The address says the report and its range (the page keeps it so).
        await supervisor.page.goto(f"{base}/stats?report={report}&range=last_30_days")
        await expect(body).to_have_attribute("data-report-loaded", report)
        assert "range=last_30_days" in supervisor.page.url
        await supervisor.check(name)
    await supervisor.visit("/wallboard", "25-wallboard")
    await supervisor.visit("/clients", "26-clients")
    record = await supervisor.page.locator("#search-results .result-pick").first.get_attribute(
        "href")
    await supervisor.visit(record, "27-client-record")
    await supervisor.visit("/clients/import", "28-clients-import")

    # The agent's day: the console, a call from the burst, its wrap-up.
    agent = await person()
    await agent.log_in("alice", "demo-agent")
    await expect(agent.page.locator("#acd-login")).to_be_visible()
    await agent.check("30-agent-before-acd")
    await agent.page.click("#acd-login-submit")
    await expect(agent.page.locator("#state-badge")).to_have_attribute(
        "data-state", re.compile("available|ringing"))
    if await agent.page.get_attribute("#state-badge", "data-state") == "available":
        await agent.check("31-agent-available")
        await burst(8, "100")
    await expect(agent.page.locator("#softphone")).to_have_attribute("data-state", "ringing",
                                                                     timeout=20_000)
    await expect(agent.page.locator("#call-card")).to_be_visible()
    await agent.check("32-agent-ringing")
    await agent.page.click("#sp-answer")
    await expect(agent.page.locator("#btn-hangup")).to_be_visible()
    await agent.check("33-agent-on-call")
    await agent.page.click("#btn-hangup")
    await expect(agent.page.locator("#wrapup-card")).to_be_visible()
    await agent.check("34-agent-wrapup")
    await agent.page.click("#btn-wrapup")
    await expect(agent.page.locator("#wrapup-card")).to_be_hidden()
    # Leave the ACD (the burst keeps ringing Alice): pause when free, else let the call go.
    for _ in range(40):
        state = await agent.page.get_attribute("#state-badge", "data-state")
        if state == "paused":
            break
        button = {"available": "#btn-pause", "wrapup": "#btn-pause", "ringing": "#btn-reject",
                  "on_call": "#btn-hangup"}.get(state or "")
        if button and await agent.page.locator(button).is_enabled():
            await agent.page.click(button, timeout=2000)
        await agent.page.wait_for_timeout(300)
    await expect(agent.page.locator("#state-badge")).to_have_attribute("data-state", "paused")
    await agent.page.click("#btn-logout")
    await agent.page.wait_for_url(f"{base}/login")
    for who in (anonymous, admin, supervisor, agent):
        await who.page.context.close()
