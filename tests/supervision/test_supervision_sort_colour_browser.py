"""Issue 14 on the supervision page, in a real browser: the agents' and the calls' tables
sort on a click of a column header (a second click reverses, aria-sort says which, the
order holds while live events redraw the rows), and waits and the day's service level take
each group's own colour thresholds (amber "warn", red "alert"; below them, no colour)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crm.models import Call, CallOutcome, Direction, Group, Role
from tests.console.browsing import launch, log_in, needs_chromium, shot
from tests.console.conftest import Product, make_group, served  # noqa: F401  (fixture)
from tests.web.webtools import make_user

pytestmark = needs_chromium

WARN_BG = "rgb(254, 243, 199)"  # web/static/css/supervision.css: td[data-level="warn"]
ALERT_BG = "rgb(254, 226, 226)"  # td[data-level="alert"]
ALERT_BADGE_BG = "rgb(220, 38, 38)"  # [data-level="alert"] (the queue card's longest wait)


async def column(page: Any, table: str, cell: str) -> list[str]:
    """The rows' texts in one column, in the order shown (names only: "Name · number")."""
    texts = await page.locator(f"#{table} tbody tr:is([data-agent], [data-call]) {cell}"
                               ).all_inner_texts()
    return [text.split(" · ")[0] for text in texts]


async def sorted_by(page: Any, table: str, cell: str, expected: list[str]) -> None:
    """Until the rows show in this order (the page redraws on its next animation frame)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await wait_for_order(page, table, cell, expected)
    except PlaywrightTimeout:
        shown = await column(page, table, cell)
        raise AssertionError(f"#{table}: {shown}, expected {expected}") from None


async def wait_for_order(page: Any, table: str, cell: str, expected: list[str]) -> None:
    await page.wait_for_function(
        """([selector, expected]) => {
          const rows = [...document.querySelectorAll(selector)];
          const shown = rows.map((td) => td.textContent.split(" · ")[0]);
          return JSON.stringify(shown) === JSON.stringify(expected);
        }""",
        arg=[f"#{table} tbody tr:is([data-agent], [data-call]) {cell}", expected],
        timeout=5000)


async def aria(page: Any, table: str) -> dict[str, str]:
    heads = page.locator(f"#{table} th[data-sort]")
    found: dict[str, str] = {}
    for n in range(await heads.count()):
        head = heads.nth(n)
        found[await head.get_attribute("data-sort") or ""] = await head.get_attribute(
            "aria-sort") or ""
    return found


async def test_agent_and_call_tables_sort(served: tuple[Product, str]) -> None:  # noqa: F811
    from playwright.async_api import async_playwright, expect

    prod, base = served
    await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert")
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    bruno = await make_user("bruno", Role.AGENT, name="Bruno Petit")
    chloe = await make_user("chloe", Role.AGENT, name="Chloé Durand")
    await make_group([alice, bruno], number="500")
    await make_group([chloe], number="600")
    await make_group([], number="700")  # nobody: its callers wait
    await prod.reload_groups()
    # extensions in another order than the names; states: on call < available < paused
    for ext, agent, paused in (("203", alice, False), ("201", bruno, True),
                               ("202", chloe, False)):
        prod.sim.phones.add(ext, behaviour="auto_answer")
        await prod.acd.login(agent.id, ext, paused=paused)

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1600, "height": 1000})
                      ).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            await log_in(page, base, "sophie", landing="/supervision")
            await expect(page.locator("#sv-conn")).to_have_attribute("data-state", "open")
            # calls one after the other (durations apart), caller names in yet another order
            prod.sim.place_inbound_call("600", "0611111111", "Marc Zola")
            await prod.until(lambda: prod.state(chloe.id) == "on_call", what="chloé on call")
            await expect(page.locator("#sv-calls tr[data-call]")).to_have_count(1)
            await page.wait_for_timeout(1100)
            prod.sim.place_inbound_call("700", "0622222222", "Anna Bel")
            await expect(page.locator("#sv-calls tr[data-call]")).to_have_count(2)
            await page.wait_for_timeout(1100)
            prod.sim.place_inbound_call("700", "0633333333", "Jules Morin")
            await expect(page.locator("#sv-calls tr[data-call]")).to_have_count(3)
            await expect(page.locator(f"#sv-agents tr[data-agent='{chloe.id}']")
                         ).to_have_attribute("data-state", "on_call")

            # Agents: by name at first, then each click on a header.
            agents = ("sv-agents", ".sv-name")
            await sorted_by(page, *agents, ["Alice Martin", "Bruno Petit", "Chloé Durand"])
            assert (await aria(page, "sv-agents"))["agent"] == "ascending"
            await page.click("#sv-agents th[data-sort=agent]")
            await sorted_by(page, *agents, ["Chloé Durand", "Bruno Petit", "Alice Martin"])
            assert (await aria(page, "sv-agents"))["agent"] == "descending"
            await page.click("#sv-agents th[data-sort=extension]")
            await sorted_by(page, *agents, ["Bruno Petit", "Chloé Durand", "Alice Martin"])
            marks = await aria(page, "sv-agents")
            assert marks["extension"] == "ascending" and marks["agent"] == "none", marks
            await page.click("#sv-agents th[data-sort=extension]")
            await sorted_by(page, *agents, ["Alice Martin", "Chloé Durand", "Bruno Petit"])
            assert (await aria(page, "sv-agents"))["extension"] == "descending"
            await page.click("#sv-agents th[data-sort=state]")
            await sorted_by(page, *agents, ["Chloé Durand", "Alice Martin", "Bruno Petit"])
            await page.click("#sv-agents th[data-sort=state]")
            await sorted_by(page, *agents, ["Bruno Petit", "Alice Martin", "Chloé Durand"])
            # the keyboard too: Enter on a focused header
            await page.focus("#sv-agents th[data-sort=agent]")
            await page.keyboard.press("Enter")
            await sorted_by(page, *agents, ["Alice Martin", "Bruno Petit", "Chloé Durand"])

            # Calls: the longest first at first, then each click on a header.
            calls = ("sv-calls", ".sv-caller")
            await sorted_by(page, *calls, ["Marc Zola", "Anna Bel", "Jules Morin"])
            assert (await aria(page, "sv-calls"))["duration"] == "descending"
            await page.click("#sv-calls th[data-sort=caller]")
            await sorted_by(page, *calls, ["Anna Bel", "Jules Morin", "Marc Zola"])
            await page.click("#sv-calls th[data-sort=caller]")
            await sorted_by(page, *calls, ["Marc Zola", "Jules Morin", "Anna Bel"])
            assert (await aria(page, "sv-calls"))["caller"] == "descending"
            await page.click("#sv-calls th[data-sort=duration]")
            await sorted_by(page, *calls, ["Jules Morin", "Anna Bel", "Marc Zola"])
            assert (await aria(page, "sv-calls"))["duration"] == "ascending"
            await page.click("#sv-calls th[data-sort=agent]")  # nobody's ("") before Chloé
            shown = await column(page, *calls)
            assert shown[-1] == "Marc Zola", shown
            await page.click("#sv-calls th[data-sort=caller]")
            await sorted_by(page, *calls, ["Anna Bel", "Jules Morin", "Marc Zola"])
            # a call arriving while sorted by caller lands in its place, not at one end
            prod.sim.place_inbound_call("700", "0644444444", "Céline Roy")
            await sorted_by(page, *calls, ["Anna Bel", "Céline Roy", "Jules Morin", "Marc Zola"])
            assert (await aria(page, "sv-calls"))["caller"] == "ascending"
            await shot(page, "99-supervision-sorted")
        finally:
            await browser.close()
    assert not errors, errors


async def day_of_calls(group: Group, waits: list[float]) -> None:
    """Today's answered calls of one group, with these waits (its T is 20 s)."""
    now = datetime.now(UTC)
    for n, wait in enumerate(waits):
        start = now - timedelta(minutes=30 - n)
        queued = start + timedelta(seconds=1)
        answered = queued + timedelta(seconds=wait)
        ended = answered + timedelta(seconds=60)
        await Call.create(
            ref=f"today-{group.number}-{n}", direction=Direction.INBOUND,
            caller_number=f"+3361{group.number}{n:04d}", group=group, started_at=start,
            entered_queue_at=queued, first_offered_at=queued, answered_at=answered,
            ended_at=ended, wrapup_ended_at=ended, local_date=now.date(),
            local_hour=now.hour, outcome=CallOutcome.ANSWERED, wait_s=wait, talk_s=60.0,
            wrapup_s=0.0)


async def test_group_colour_thresholds(served: tuple[Product, str]) -> None:  # noqa: F811
    from playwright.async_api import async_playwright, expect

    prod, base = served
    await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert")
    # Nobody logged in: every caller waits. Each group has its own thresholds.
    red = await make_group([], number="501", service_level_s=20, sl_warn_pct=80,
                           sl_alert_pct=60, wait_warn_s=1, wait_alert_s=2)
    amber = await make_group([], number="502", service_level_s=20, sl_warn_pct=80,
                             sl_alert_pct=60, wait_warn_s=1, wait_alert_s=600)
    calm = await make_group([], number="503", service_level_s=20, sl_warn_pct=70,
                            sl_alert_pct=50, wait_warn_s=300, wait_alert_s=600)
    await day_of_calls(red, [5, 10, 30, 40])  # 2 of 4 within 20 s: 50 %, under 60: red
    await day_of_calls(amber, [5, 10, 15, 40])  # 75 %: under 80, not under 60: amber
    await day_of_calls(calm, [5, 10, 15, 40])  # the same 75 %, over its 70: no colour
    await prod.reload_groups()
    prod.sim.place_inbound_call("503", "0630000000", "Calm Caller")  # waits the longest
    prod.sim.place_inbound_call("501", "0610000000", "Red Caller")
    prod.sim.place_inbound_call("502", "0620000000", "Amber Caller")
    await prod.until(lambda: len(prod.acd.snapshot()["queues"]) == 3, what="three queues")

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1600, "height": 1000})
                      ).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            await log_in(page, base, "sophie", landing="/supervision")
            await expect(page.locator("#sv-conn")).to_have_attribute("data-state", "open")
            row = {g.id: page.locator(f"#sv-groups tr[data-group='{g.id}']")
                   for g in (red, amber, calm)}

            # The day's service level, against each group's own thresholds.
            for group, shown, level in ((red, "50.0%", "alert"), (amber, "75.0%", "warn"),
                                        (calm, "75.0%", "ok")):
                cell = row[group.id].locator(".sv-sl")
                await expect(cell).to_have_text(shown)
                await expect(cell).to_have_attribute("data-level", level)
            assert await row[red.id].locator(".sv-sl").evaluate(
                "td => getComputedStyle(td).backgroundColor") == ALERT_BG
            assert await row[amber.id].locator(".sv-sl").evaluate(
                "td => getComputedStyle(td).backgroundColor") == WARN_BG
            calm_bg = await row[calm.id].locator(".sv-sl").evaluate(
                "td => getComputedStyle(td).backgroundColor")
            assert calm_bg not in (WARN_BG, ALERT_BG), calm_bg

            # The longest wait: red past 2 s in 501, amber past 1 s in 502 (red only at
            # 600 s), and none in 503 although its caller has waited longer than both.
            longest = {g.id: row[g.id].locator(".sv-longest") for g in (red, amber, calm)}
            await expect(longest[red.id]).to_have_attribute("data-level", "alert",
                                                            timeout=6000)
            await expect(longest[amber.id]).to_have_attribute("data-level", "warn")
            calm_wait = prod.acd.snapshot()["at"] - next(
                c["entered_at"] for c in prod.acd.snapshot()["calls"]
                if c["group_id"] == calm.id)
            assert calm_wait >= 2, calm_wait
            await expect(longest[calm.id]).to_have_attribute("data-level", "")
            assert await longest[red.id].evaluate(
                "td => getComputedStyle(td).backgroundColor") == ALERT_BG
            assert await longest[amber.id].evaluate(
                "td => getComputedStyle(td).backgroundColor") == WARN_BG
            assert await longest[calm.id].evaluate(
                "td => getComputedStyle(td).backgroundColor") not in (WARN_BG, ALERT_BG)

            # The same levels on the queue cards and on the waiting calls.
            card = {g.id: page.locator(f".sv-queue[data-group='{g.id}']")
                    for g in (red, amber, calm)}
            await expect(card[red.id].locator("strong.sv-longest")).to_have_attribute(
                "data-level", "alert")
            assert await card[red.id].locator("strong.sv-longest").evaluate(
                "s => getComputedStyle(s).backgroundColor") == ALERT_BADGE_BG
            await expect(card[amber.id].locator(".sv-wait")).to_have_attribute(
                "data-level", "warn")
            await expect(card[calm.id].locator(".sv-wait")).to_have_attribute("data-level", "")
            for caller, level in (("Red Caller", "alert"), ("Amber Caller", "warn"),
                                  ("Calm Caller", "")):
                await expect(page.locator(f"#sv-calls tr:has-text('{caller}') .sv-duration")
                             ).to_have_attribute("data-level", level)
            await shot(page, "99-supervision-colours")
        finally:
            await browser.close()
    assert not errors, errors
