"""The supervision, wallboard and statistics pages in a real browser (Debian chromium).

A supervisor watches simulated calls arrive, queue in order and get answered without any
reload, opens an agent's statistics and (paged, filtered) history, forces actions and sees
the agent's row follow (and a refusal explained), watches the wallboard's numbers change,
and on the statistics page draws two reports, switches granularity, uses a quick range and
downloads the CSV. Then the same pages in French. Screenshots go to
test-artifacts/supervision/.
"""

from __future__ import annotations

import contextvars
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from crm.models import Call, CallOutcome, Direction, Group, GroupMember, Role
from crm.stats.kpi import METHODS
from tests.supervision.conftest import until
from tests.supervision.test_supervision_stats_api import seed
from tests.web.webtools import PASSWORD, make_user
from web import i18n
from web.appkeys import RUNTIME_KEY, SERVICES_KEY

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "supervision"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
HISTORY_DAY = date(2026, 3, 11)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists(),
                       reason=f"no chromium at {CHROMIUM} (apt-get install -y chromium)"),
]


async def log_in(page: Any, base: str, login: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    async with page.expect_navigation():
        await page.click("button[type=submit].btn-primary")


async def callers_in_queue(page: Any, group_id: int) -> list[str]:
    return await page.locator(f".sv-queue[data-group='{group_id}'] li .sv-caller").all_inner_texts()


def french(msgid: str) -> str:
    """The French the page should show (whichever catalog holds it)."""
    def translate() -> str:
        i18n.set_language("fr")
        return i18n.gettext(msgid)

    return contextvars.copy_context().run(translate)


async def shot(page: Any, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / name), full_page=True)


async def past_calls(agent: Any, count: int) -> None:
    """Answered calls of one earlier day, for the history dialog to page through."""
    base = datetime.combine(HISTORY_DAY, datetime.min.time(), UTC) + timedelta(hours=8)
    for n in range(count):
        start = base + timedelta(minutes=10 * n)
        await Call.create(
            ref=f"past-{n}", direction=Direction.INBOUND, caller_number=f"+3369900{n:04d}",
            agent=agent, started_at=start, entered_queue_at=start,
            answered_at=start + timedelta(seconds=5), ended_at=start + timedelta(seconds=65),
            local_date=HISTORY_DAY, local_hour=start.hour, outcome=CallOutcome.ANSWERED,
            wait_s=5.0, talk_s=60.0)


async def test_supervisor_watches_calls_live(acd_app: tuple[web.Application, TestClient],
                                             sim: Any) -> None:
    from playwright.async_api import async_playwright

    app, client = acd_app
    acd = app[RUNTIME_KEY]
    await make_user("sup", Role.SUPERVISOR, name="Sue Supervisor")
    ann = await make_user("ann", Role.AGENT, name="Ann Agent")
    bob = await make_user("bob", Role.AGENT, name="Bob Agent")
    sales = await Group.create(name="Sales", number="3001", ring_timeout_s=60, wrapup_s=0,
                               autopause_after=0)
    for pos, agent in enumerate((ann, bob)):
        await GroupMember.create(user=agent, group=sales, penalty=0, position=pos)
    await app[SERVICES_KEY]["rt"].reload_groups()
    await past_calls(ann, 25)
    base = str(client.make_url("/")).rstrip("/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000},
                                            accept_downloads=True, locale="en-US")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda d: d.accept())  # the "hang up this call?" confirmation
        await log_in(page, base, "sup")
        assert page.url.endswith("/supervision"), (page.url, await page.content())
        await page.wait_for_selector("#sv-conn[data-state=open]")
        assert await page.locator("#sv-agents tbody tr[data-agent]").count() == 0

        board = await context.new_page()
        board.on("pageerror", lambda exc: errors.append(str(exc)))
        await board.goto(f"{base}/wallboard")
        await board.wait_for_selector("#wb-conn[data-state=open]")
        assert await board.locator("#wb-waiting").inner_text() == "0"
        assert await board.locator("#wb-answered").inner_text() == "0"
        # a page in the background gets no animation frames: bring the one watched forward
        await page.bring_to_front()

        # agents log in and calls arrive: the page follows without a reload
        sim.phones.add("2001", behaviour="manual")
        sim.phones.add("2002", behaviour="manual")
        await acd.login(ann.id, "2001")
        await acd.login(bob.id, "2002", paused=True, reason="lunch")
        await page.wait_for_selector(f"#sv-agents tr[data-agent='{ann.id}'][data-state=available]")
        await page.wait_for_selector(f"#sv-agents tr[data-agent='{bob.id}'][data-state=paused]")
        sim.place_inbound_call(sales.number, "+33611111111", "Jean Dupont")
        await page.wait_for_selector(f"#sv-agents tr[data-agent='{ann.id}'][data-state=ringing]")
        sim.place_inbound_call(sales.number, "+33622222222", "Marie Curie")
        await page.wait_for_selector(".sv-callers li >> text=Marie Curie")
        sim.place_inbound_call(sales.number, "+33633333333", "Paul Martin")
        await page.wait_for_selector(".sv-callers li >> text=Paul Martin")
        queue = await callers_in_queue(page, sales.id)
        marie = next(i for i, c in enumerate(queue) if "Marie Curie" in c)
        paul = next(i for i, c in enumerate(queue) if "Paul Martin" in c)
        assert marie < paul, queue  # callers in the order they came
        await board.bring_to_front()
        await board.wait_for_function(
            "Number(document.getElementById('wb-waiting').textContent) >= 2")
        waiting_before = int(await board.locator("#wb-waiting").inner_text())
        await page.bring_to_front()

        # Ann answers Jean: the call and her row turn connected, live
        await sim.phone("2001").answer_when_ringing()
        jean_row = "#sv-calls tr[data-state=connected]:has-text('Jean Dupont')"
        await page.wait_for_selector(jean_row)
        await page.wait_for_selector(f"#sv-agents tr[data-agent='{ann.id}'][data-state=on_call]")
        assert "Jean Dupont" in await page.locator(
            f"#sv-agents tr[data-agent='{ann.id}'] .sv-current").inner_text()
        assert "Ann Agent" in await page.locator(jean_row).locator(".sv-agent").inner_text()
        await page.wait_for_timeout(1100)  # the durations tick
        await shot(page, "supervision.png")
        assert await page.evaluate("performance.getEntriesByType('navigation').length") == 1
        assert await page.evaluate("window.svEvents") > 5

        # B3: listen from the supervisor's own phone, then stop
        sim.phones.add("2999", behaviour="auto_answer", answer_delay=0.05)
        await page.click(f"{jean_row} [data-act=listen]")
        await page.fill("#sv-dialog input[name=extension]", "2999")
        await page.click("#sv-dialog button[type=submit]")
        await page.wait_for_selector("#sv-dialog .sv-result.alert-success >> text=2999")
        await until(lambda: sim.phone("2999").state == "in_call", what="the supervisor's phone")
        await page.click("#sv-dialog [data-act=stop-spy]")
        await page.wait_for_selector("#sv-dialog", state="hidden")

        # the Actions column: statistics for today, then for a quick range
        await page.click(f"#sv-agents tr[data-agent='{ann.id}'] [data-act=stats]")
        await page.wait_for_selector(".sv-agent-stats tr[data-key=Received]")
        assert await page.locator(".sv-agent-stats tr[data-key=Received] td").inner_text() == "1"
        await page.click("#sv-dialog [data-range=this_month]")
        await page.wait_for_function(
            "document.querySelector('#sv-dialog input[name=from]').value.endsWith('-01')")
        await shot(page, "agent-stats.png")
        await page.keyboard.press("Escape")

        # the history: 25 calls of an earlier day, 20 a page, filtered by kind
        await page.click(f"#sv-agents tr[data-agent='{ann.id}'] [data-act=history]")
        await page.wait_for_selector("#sv-dialog .sv-page")
        await page.fill("#sv-dialog input[name=from]", HISTORY_DAY.isoformat())
        await page.fill("#sv-dialog input[name=to]", HISTORY_DAY.isoformat())
        await page.select_option("#sv-dialog select[name=kinds]", "call")
        await page.click("#sv-dialog form.sv-period button[type=submit]")
        await page.wait_for_function(
            "document.querySelector('#sv-dialog .sv-page')?.textContent.includes('1–20 / 25')")
        assert await page.locator("#sv-dialog .sv-history tbody tr[data-kind=call]").count() == 20
        assert "Call answered" in await page.locator("#sv-dialog .sv-history").inner_text()
        await page.click("#sv-dialog [data-page=next]")
        await page.wait_for_function(
            "document.querySelector('#sv-dialog .sv-page')?.textContent.includes('21–25 / 25')")
        assert await page.locator("#sv-dialog .sv-history tbody tr").count() == 5
        await shot(page, "agent-history.png")
        await page.select_option("#sv-dialog select[name=kinds]", "pause")
        await page.wait_for_selector("#sv-dialog .empty >> text=no entry")
        await page.keyboard.press("Escape")

        # forced actions: a pause during a call waits for its end...
        await page.click(f"#sv-agents tr[data-agent='{ann.id}'] [data-act=pause]")
        await page.select_option("#sv-dialog select[name=reason]", index=0)
        await page.click("#sv-dialog button[type=submit]")
        await page.wait_for_selector("#sv-flash.alert-success >> text=when the current call ends")
        await page.wait_for_selector(f"#sv-agents tr[data-agent='{ann.id}'] .sv-pending")
        # ...only an available agent can take a transferred call: paused Bob is greyed
        # with his state (and Ann, on this very call, too), so nobody is to be chosen
        await page.click(f"{jean_row} [data-act=transfer]")
        bob_option = page.locator(f"#sv-dialog select[name=agent] option[value='{bob.id}']")
        assert await bob_option.is_disabled()
        assert "Paused" in await bob_option.inner_text()
        assert await page.locator("#sv-dialog button[type=submit]").is_disabled()
        await shot(page, "transfer-nobody-available.png")
        await page.keyboard.press("Escape")
        # ...and hanging up ends the call: Ann's pending pause applies, her row follows
        await page.click(f"{jean_row} [data-act=hangup]")
        await page.wait_for_selector(f"#sv-agents tr[data-agent='{ann.id}'][data-state=paused]")
        await page.wait_for_selector("#sv-calls tr:has-text('Jean Dupont')", state="detached")

        # the wallboard: the answered call counts as soon as it ended; Bob back takes Marie
        await board.bring_to_front()
        await board.wait_for_function("document.getElementById('wb-answered').textContent === '1'")
        sales_row = board.locator(f"#wb-groups tr[data-group='{sales.id}']")
        assert await sales_row.locator("[data-key=answered]").inner_text() == "1"
        await acd.unpause(bob.id)
        await board.wait_for_function(
            f"Number(document.getElementById('wb-waiting').textContent) < {waiting_before}")
        await board.wait_for_selector(".wb-tile[data-state=ringing] .wb-value >> text=1")
        await board.wait_for_timeout(1100)
        await shot(board, "wallboard.png")

        # statistics: two reports drawn, granularity switched, quick range, CSV
        await seed()
        stats = await context.new_page()
        stats.on("pageerror", lambda exc: errors.append(str(exc)))
        await stats.goto(f"{base}/stats?report=calls_per_day")
        await stats.wait_for_function("document.body.dataset.reportLoaded === 'calls_per_day'")
        await stats.evaluate("""() => {
            document.getElementById('st-from').value = '2026-03-10';
            document.getElementById('st-to').value = '2026-03-12';
        }""")
        await stats.select_option("#st-report", "calls")
        await stats.wait_for_function(
            "document.body.dataset.reportLoaded === 'calls' && "
            "document.body.dataset.reportInterval === '2026-03-10/2026-03-12'")
        chart = "(() => { const c = Chart.getChart('st-canvas'); return c ? c.data : null; })()"
        data = await stats.evaluate(chart)
        assert data["labels"] == ["2026-03-10", "2026-03-11", "2026-03-12"]
        assert data["datasets"][0]["label"] == "Answered"
        assert data["datasets"][0]["data"] == [3, 27, 2]  # the seed's, and the 25 past calls
        await stats.select_option("#st-granularity", "hour")
        await stats.wait_for_function("document.body.dataset.reportGranularity === 'hour'")
        assert len((await stats.evaluate(chart))["labels"]) == 72
        assert await stats.locator("#st-table tbody tr").count() == 72
        await stats.select_option("#st-report", "kpi_per_group")
        await stats.wait_for_function("document.body.dataset.reportLoaded === 'kpi_per_group'")
        await stats.wait_for_selector("#st-table tbody tr >> text=Help")
        assert (await stats.evaluate(chart))["labels"], "the KPI series are drawn"
        assert "20 s" in await stats.locator(".st-kpi[data-kpi=service_level]").inner_text()
        await shot(stats, "stats.png")
        async with stats.expect_download() as info:
            await stats.click("#st-csv")
        download = await info.value
        saved = ARTIFACTS / download.suggested_filename
        await download.save_as(str(saved))
        assert download.suggested_filename == "kpi_per_group_2026-03-10_2026-03-12.csv"
        lines = saved.read_text().splitlines()
        assert lines[0].startswith("Group,Queued,Answered") and lines[-1].startswith("Total,")
        await stats.click("[data-range=this_month]")
        today = date.today()
        await stats.wait_for_function(
            f"document.body.dataset.reportInterval === '{today.replace(day=1)}/{today}'")
        await browser.close()
    assert not errors, errors


async def test_supervision_pages_in_french(acd_app: tuple[web.Application, TestClient],
                                           sim: Any) -> None:
    from playwright.async_api import async_playwright

    app, client = acd_app
    await make_user("sup", Role.SUPERVISOR, name="Sue Supervisor")
    ann = await make_user("ann", Role.AGENT, name="Ann Agent")
    sales = await Group.create(name="Sales", number="3001", wrapup_s=0, autopause_after=0)
    await GroupMember.create(user=ann, group=sales, penalty=0, position=0)
    await app[SERVICES_KEY]["rt"].reload_groups()
    sim.phones.add("2001", behaviour="never_answer")
    await app[RUNTIME_KEY].login(ann.id, "2001")
    base = str(client.make_url("/")).rstrip("/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000},
                                            locale="fr-FR")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await log_in(page, base, "sup")
        await page.wait_for_selector("#sv-conn[data-state=open]")
        assert french("Queues") in await page.locator("body").inner_text()
        assert french("Queues") != "Queues"
        await page.wait_for_selector(
            f"#sv-agents tr[data-agent='{ann.id}'] >> text={french('Available')}")
        await page.click(f"#sv-agents tr[data-agent='{ann.id}'] [data-act=stats]")
        # the label agrees with its count: "Reçu" for 0 or 1 in French, "Reçus" from 2
        received = page.locator(".sv-agent-stats tr[data-key=Received]")
        await received.wait_for()
        count = int(await received.locator("td").inner_text())
        assert await received.locator("th").text_content() == ("Reçu" if count <= 1 else "Reçus")
        await page.keyboard.press("Escape")
        await page.click(f"#sv-agents tr[data-agent='{ann.id}'] [data-act=history]")
        await page.wait_for_selector("#sv-dialog .sv-page")
        kinds = await page.locator("#sv-dialog select[name=kinds]").inner_text()
        for kind in ("Call answered", "Call rejected", "Session start"):
            assert french(kind) in kinds and french(kind) != kind, kinds
        assert french("Next") in await page.locator("#sv-dialog .pager").inner_text()
        await page.screenshot(path=str(ARTIFACTS / "supervision-fr.png"), full_page=True)
        await page.keyboard.press("Escape")

        await page.goto(f"{base}/stats?report=kpi_per_group")
        await page.wait_for_function("document.body.dataset.reportLoaded === 'kpi_per_group'")
        title = await page.locator("#st-title").inner_text()
        assert title.startswith(french("KPIs per group")), title
        method = await page.locator(".st-kpi[data-kpi=service_level] .st-kpi-method").inner_text()
        # the groups' total: each call against its own group's T, and the page says so
        assert method == french(METHODS["service_level_own_t"]).format(t=20, short=5), method
        assert method.startswith("Appels")
        await page.screenshot(path=str(ARTIFACTS / "stats-fr.png"), full_page=True)

        await page.goto(f"{base}/wallboard")
        await page.wait_for_selector("#wb-conn[data-state=open]")
        assert french("Calls waiting") in await page.locator("body").inner_text()
        await page.wait_for_selector(
            f".wb-tile[data-state=ringing] .wb-label >> text={french('Ringing')}")
        await page.screenshot(path=str(ARTIFACTS / "wallboard-fr.png"))
        await browser.close()
    assert not errors, errors
