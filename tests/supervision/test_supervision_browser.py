"""The supervision, wallboard and statistics pages in a real browser (Debian chromium):
a supervisor watches simulated calls arrive without reloading, the wallboard shows the
numbers, the statistics page draws its chart and the CSV link downloads.
Screenshots go to test-artifacts/supervision/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from crm.models import Group, GroupMember, Role
from prowebcrm.server import build_app
from prowebcrm.settings import Settings
from tests.supervision.conftest import until
from tests.supervision.test_supervision_stats_api import seed
from tests.web.webtools import PASSWORD, make_user
from web.appkeys import RUNTIME_KEY, SERVICES_KEY

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "supervision"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists(),
                       reason=f"no chromium at {CHROMIUM} (apt-get install -y chromium)"),
]


async def test_supervisor_watches_calls_live(aiohttp_client: Any, acd_settings: Settings,
                                             sim: Any) -> None:
    from playwright.async_api import async_playwright

    app = build_app(acd_settings, takeover=True,
                    on_acd_ready=lambda a, rt: a[SERVICES_KEY].__setitem__("rt", rt))
    client = await aiohttp_client(app)
    await until(lambda: app[RUNTIME_KEY] is not None)
    acd = app[RUNTIME_KEY]
    await make_user("sup", Role.SUPERVISOR, name="Sue Supervisor")
    ann = await make_user("ann", Role.AGENT, name="Ann Agent")
    bob = await make_user("bob", Role.AGENT, name="Bob Agent")
    sales = await Group.create(name="Sales", number="3001", ring_timeout_s=30, wrapup_s=0,
                               autopause_after=0)
    for pos, agent in enumerate((ann, bob)):
        await GroupMember.create(user=agent, group=sales, penalty=0, position=pos)
    await app[SERVICES_KEY]["rt"].reload_groups()
    base = str(client.make_url("/")).rstrip("/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000},
                                            accept_downloads=True, locale="en-US")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{base}/login")
        await page.fill("#login", "sup")
        await page.fill("#password", PASSWORD)
        async with page.expect_navigation():
            await page.click("button[type=submit].btn-primary")
        assert page.url.endswith("/supervision"), (page.url, await page.content())
        await page.wait_for_selector("#sv-conn[data-state=open]")
        assert await page.locator("#sv-agents tbody tr[data-agent]").count() == 0

        # agents log in and calls arrive: the page follows without a reload
        sim.phones.add("2001", behaviour="never_answer")
        sim.phones.add("2002", behaviour="never_answer")
        await acd.login(ann.id, "2001")
        await acd.login(bob.id, "2002", paused=True, reason="lunch")
        await page.wait_for_selector(f"#sv-agents tr[data-agent='{ann.id}']")
        await page.wait_for_selector(f"#sv-agents tr[data-agent='{bob.id}'][data-state=paused]")
        sim.place_inbound_call(sales.number, "+33611111111", "Jean Dupont")
        sim.place_inbound_call(sales.number, "+33622222222", "Marie Curie")
        await page.wait_for_selector(f"#sv-agents tr[data-agent='{ann.id}'][data-state=ringing]")
        await page.wait_for_selector(".sv-callers li >> text=Marie Curie")
        await page.wait_for_selector("#sv-calls tr[data-call] >> text=Jean Dupont")
        queue_text = await page.locator(f".sv-queue[data-group='{sales.id}']").inner_text()
        assert "Marie Curie" in queue_text
        await page.wait_for_timeout(1200)  # the wait times tick
        await page.screenshot(path=str(ARTIFACTS / "supervision.png"), full_page=True)
        # still the same document: nothing reloaded it
        assert await page.evaluate("performance.getEntriesByType('navigation').length") == 1
        assert await page.evaluate("window.svEvents") > 3

        # the Actions column: the agent's statistics in a dialog
        await page.click(f"#sv-agents tr[data-agent='{ann.id}'] [data-act=stats]")
        await page.wait_for_selector(".sv-agent-stats tr[data-key=Received]")
        await page.screenshot(path=str(ARTIFACTS / "agent-stats.png"))
        await page.keyboard.press("Escape")

        # a supervisor action from the page: pause Ann, the row follows
        await page.click(f"#sv-agents tr[data-agent='{ann.id}'] [data-act=pause]")
        await page.click("#sv-dialog button[type=submit]")
        await page.wait_for_selector("#sv-flash:not([hidden])")

        # the wallboard shows the live numbers
        board = await context.new_page()
        await board.goto(f"{base}/wallboard")
        await board.wait_for_selector("#wb-conn[data-state=open]")
        await board.wait_for_function("document.getElementById('wb-waiting').textContent !== '0'")
        assert await board.locator("#wb-waiting").inner_text() in ("1", "2")
        assert await board.locator(f"#wb-groups tr[data-group='{sales.id}']").count() == 1
        await board.wait_for_timeout(1100)
        await board.screenshot(path=str(ARTIFACTS / "wallboard.png"))

        # statistics: chart drawn, table filled, CSV downloads
        await seed()
        stats = await context.new_page()
        stats.on("pageerror", lambda exc: errors.append(str(exc)))
        await stats.goto(f"{base}/stats?report=calls_per_day")
        await stats.wait_for_function("document.body.dataset.reportLoaded === 'calls_per_day'")
        await stats.evaluate("""() => {
            document.getElementById('st-from').value = '2026-03-10';
            document.getElementById('st-to').value = '2026-03-12';
        }""")
        await stats.select_option("#st-report", "kpi_per_group")
        await stats.wait_for_function("document.body.dataset.reportLoaded === 'kpi_per_group'")
        await stats.wait_for_selector("#st-table tbody tr >> text=Sales")
        canvas_w = await stats.evaluate("document.getElementById('st-canvas').width")
        assert canvas_w > 100
        assert "20 s" in await stats.locator(".st-kpi[data-kpi=service_level]").inner_text()
        await stats.screenshot(path=str(ARTIFACTS / "stats.png"), full_page=True)
        async with stats.expect_download() as info:
            await stats.click("#st-csv")
        download = await info.value
        saved = ARTIFACTS / download.suggested_filename
        await download.save_as(str(saved))
        text = saved.read_text()
        assert download.suggested_filename == "kpi_per_group_2026-03-10_2026-03-12.csv"
        assert text.splitlines()[0].startswith("Group,Queued,Answered")
        await stats.click("[data-range=this_month]")
        await stats.wait_for_function("document.getElementById('st-title').textContent"
                                      ".includes('KPIs')")
        await browser.close()
    assert not errors, errors
