"""The demo as a newcomer meets it: ``prowebcrm demo`` started as a user starts it, an agent
working from nothing but a browser (softphone panel), an administrator sending a burst of
calls from the traffic page, then Ctrl-C."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.demo.process import DemoProcess, free_port

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "demo"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"no chromium at {CHROMIUM} (apt-get install -y chromium)"),
]


async def log_in(page: Any, base: str, login: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#login", login)
    await page.fill("#password", password)
    await page.click("button[type=submit].btn-primary")
    await page.wait_for_load_state()


async def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def test_demo_agent_answers_a_generated_call_from_the_softphone(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    # Generator paused: the administrator's burst is what brings the calls in.
    demo = DemoProcess(tmp_path / "data", free_port(), "--no-traffic")
    try:
        output = demo.wait_ready()
        assert "alice" in output and "password demo-agent" in output
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                await _agent_and_admin(browser, demo.base, expect)
            finally:
                await browser.close()
    finally:
        status = demo.stop()
    assert status == 0, demo.output[-3000:]
    assert "PROWEBCRM demo stopped." in demo.rest
    assert "Traceback" not in demo.output


async def _agent_and_admin(browser: Any, base: str, expect: Any) -> None:
    agent = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    admin = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()

    # S6 in the demo: log in, then the ACD with the extension the demo printed.
    await log_in(agent, base, "alice", "demo-agent")
    await expect(agent).to_have_url(f"{base}/agent")
    await expect(agent.locator("#acd-extension")).to_have_value("2001")
    await agent.click("#acd-login-submit")
    await expect(agent.locator("#state-badge")).to_have_attribute("data-state", "available")
    await expect(agent.locator("#softphone")).to_be_visible()
    await expect(agent.locator("#softphone")).to_have_attribute("data-state", "idle")
    await shot(agent, "01-agent-available-softphone")

    # The administrator sends a burst to Ventes: more calls than its available agents
    # (three simulated ones and Alice), so one rings Alice.
    await log_in(admin, base, "admin", "demo-admin")
    await admin.click("nav a[href=\"/admin/traffic\"]")
    await expect(admin.locator("#traffic-state")).to_have_attribute("data-running", "false")
    await admin.fill("#f-count", "6")
    await admin.select_option("#f-group", "100")
    await admin.click("#burst-send")
    await expect(admin.locator(".alert-success")).to_have_text("Calls placed at once: 6.")
    await shot(admin, "02-admin-burst-sent")

    # S7: the phone rings, the record (known caller) or "unknown caller" pops.
    phone = agent.locator("#softphone")
    await expect(phone).to_have_attribute("data-state", "ringing", timeout=15_000)
    await expect(agent.locator("#pop-card:visible, #record:visible").first).to_be_visible()
    await expect(agent.locator("#call-card")).to_be_visible()
    await shot(agent, "03-agent-ringing-pop")
    await agent.click("#sp-answer")
    await expect(phone).to_have_attribute("data-state", "in_call")
    await expect(agent.locator("#state-badge")).to_have_attribute("data-state", "on_call")
    await expect(agent.locator("#btn-hangup")).to_be_visible()
    await shot(agent, "04-agent-on-call")

    # Hanging up from the console ends the simulated call: wrap-up.
    await agent.click("#btn-hangup")
    await expect(agent.locator("#wrapup-card")).to_be_visible()
    await expect(phone).to_have_attribute("data-state", "idle")
    await shot(agent, "05-agent-wrapup")

    # The page counts what was generated.
    await admin.goto(f"{base}/admin/traffic")
    await expect(admin.locator("#traffic-state")).to_contain_text("6 calls generated")
