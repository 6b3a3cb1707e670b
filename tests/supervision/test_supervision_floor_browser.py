"""Issue 14, items 4 and 6 for supervisors, in a real browser: a forced transfer offers the
agents who can take the call (available first, busy ones greyed, logged-out ones absent),
listening remembers the supervisor's own phone and says precisely what failed; the page
fits 1366 px and uses 1920 px (no wrapped action rows), its tables sort, waits take the
group's colours; the statistics table sits under its chart without sideways scrolling."""

from __future__ import annotations

from typing import Any

from crm.models import Role, User
from tests.console.browsing import launch, log_in, needs_chromium, shot
from tests.console.conftest import Product, make_group, served  # noqa: F401  (fixture)
from tests.web.webtools import make_user

pytestmark = needs_chromium

# Each action cell is one line: no taller than one and a half of its first button.
WRAPPED_ACTIONS = """() => [...document.querySelectorAll('.sv-actions')].filter((box) => {
  const button = box.querySelector('button');
  return button && box.getBoundingClientRect().height > 1.5 * button.getBoundingClientRect().height;
}).length"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


async def test_forced_transfer_and_listening(served: tuple[Product, str]) -> None:  # noqa: F811
    from playwright.async_api import async_playwright, expect

    prod, base = served
    sophie = await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert")
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    bob = await make_user("bob", Role.AGENT, name="Bob Durand")
    await make_user("carl", Role.AGENT, name="Carl Absent")
    dave = await make_user("dave", Role.AGENT, name="Dave Pause")
    await make_group([alice, dave], number="600")
    await make_group([bob], number="500")
    await prod.reload_groups()
    for ext in ("201", "204"):
        prod.sim.phones.add(ext, behaviour="manual")
    prod.sim.phones.add("202", behaviour="auto_answer")
    await prod.acd.login(alice.id, "201")
    await prod.acd.login(bob.id, "202")
    await prod.acd.login(dave.id, "204", paused=True)
    prod.sim.place_inbound_call("500", "0612345678")
    await prod.until(lambda: prod.state(bob.id) == "on_call", what="bob on the call")
    call_id = prod.acd.agent(bob.id).call_id

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "sophie", landing="/supervision")
            row = page.locator(f"#sv-calls tr[data-call='{call_id}']")
            await expect(row).to_be_visible()
            await row.locator("[data-act=transfer]").click()
            options = page.locator("#sv-dialog select[name=agent] option")
            # Logged-out Carl is no target; Alice (available) first and chosen.
            await expect(options).to_have_count(3)
            texts = await options.all_inner_texts()
            assert texts[0].startswith("Alice Martin"), texts
            assert not any("Carl" in t for t in texts), texts
            await expect(page.locator("#sv-dialog select[name=agent]")).to_have_value(
                str(alice.id))
            for other in (bob, dave):
                await expect(page.locator(
                    f"#sv-dialog select[name=agent] option[value='{other.id}']")).to_be_disabled()
            await shot(page, "93-forced-transfer-dialog")
            await page.click("#sv-dialog button[type=submit]")
            await expect(page.locator("#sv-flash")).to_contain_text("Alice Martin")
            await prod.until(lambda: prod.state(alice.id) == "ringing", what="alice ringing")
            await prod.sim.phone("201").answer_when_ringing()
            await prod.until(lambda: prod.state(alice.id) == "on_call", what="alice on call")

            # Listening: the supervisor's phone is asked once, then remembered (profile).
            await expect(row.locator("[data-act=listen]")).to_be_visible()
            await row.locator("[data-act=listen]").click()
            extension = page.locator("#sv-dialog input[name=extension]")
            await expect(extension).to_have_value("")
            await extension.fill("399")  # no phone answers there
            await page.click("#sv-dialog button[type=submit]")
            result = page.locator("#sv-dialog .sv-result")
            await expect(result).to_contain_text("399")
            await shot(page, "94-listen-refused")
            prod.sim.phones.add("301", behaviour="auto_answer")
            await extension.fill("301")
            await page.click("#sv-dialog button[type=submit]")
            await expect(page.locator("#sv-dialog [data-act=stop-spy]")).to_be_visible()
            assert (await User.get(id=sophie.id)).extension == "301"
            await page.click("#sv-dialog [data-act=stop-spy]")
            await page.reload()
            await row.locator("[data-act=listen]").click()
            await expect(page.locator("#sv-dialog input[name=extension]")).to_have_value("301")
        finally:
            await browser.close()


async def test_supervision_and_stats_layout(served: tuple[Product, str]) -> None:  # noqa: F811
    from playwright.async_api import async_playwright, expect

    prod, base = served
    await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert", language="fr")
    agents = [await make_user(f"agent{n}", Role.AGENT, name=f"Agent {name}")
              for n, name in enumerate(("Zoé Blanc", "Amélie Durand-Lefèvre", "Marc Noir"))]
    await make_group(agents, number="500", wait_warn_s=1, wait_alert_s=2)
    await make_group([], number="700", wait_warn_s=1, wait_alert_s=2)
    await prod.reload_groups()
    for n, agent in enumerate(agents):
        prod.sim.phones.add(f"20{n}", behaviour="auto_answer")
        await prod.acd.login(agent.id, f"20{n}")
    for n in range(3):
        prod.sim.place_inbound_call("500", f"061234567{n}")
    prod.sim.place_inbound_call("700", "0698765432")  # nobody answers group 700

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1920, "height": 1080})
                      ).new_page()
        try:
            await log_in(page, base, "sophie", landing="/supervision")
            await expect(page.locator("#sv-calls tr[data-call]")).to_have_count(4)
            main = await page.locator("main").bounding_box()
            assert main["width"] > 1600, main
            assert await page.evaluate(WRAPPED_ACTIONS) == 0
            # The caller waiting past the group's thresholds is shown in its alert colour.
            wait = page.locator(".sv-callers li .sv-wait").first
            await expect(wait).to_have_attribute("data-level", "alert", timeout=5000)
            await shot(page, "95-supervision-fr-1920")

            # Sorting: by agent name, then the other way round.
            names = page.locator("#sv-agents tbody tr[data-agent] td:first-child")
            first = await names.all_inner_texts()
            assert first == sorted(first, key=str.casefold), first
            await page.click("#sv-agents th[data-sort=agent]")
            await expect(names.first).to_have_text(first[-1])

            await page.set_viewport_size({"width": 1366, "height": 768})
            assert await page.evaluate(OVERFLOW) <= 0
            assert await page.evaluate(WRAPPED_ACTIONS) == 0
            await shot(page, "96-supervision-fr-1366")

            await page.goto(f"{base}/stats")
            await page.set_viewport_size({"width": 1920, "height": 1080})
            await expect(page.locator("body")).to_have_attribute("data-report-loaded", "calls")
            wrap = page.locator(".st-table")
            sideways: Any = await wrap.evaluate("w => w.scrollWidth - w.clientWidth")
            assert sideways <= 1, f"the table scrolls sideways by {sideways}px"
            chart = await page.locator(".st-chart").bounding_box()
            table = await wrap.bounding_box()
            assert table["y"] >= chart["y"] + chart["height"] - 1, (chart, table)
            await shot(page, "97-stats-fr-1920")
        finally:
            await browser.close()
