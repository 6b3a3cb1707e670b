"""Layout and state-driven display in a real browser (Debian chromium through Playwright), at
the laptop widths agents use (1280 and 1366 px), in English and in French: the top bar fits,
the ACD login card holds its fields, the softphone shows only the keys of its state, the
transfer list holds only colleagues in the ACD, a frequent caller's record opens on the latest
interventions, and the client list shows clients before any search."""

from __future__ import annotations

from typing import Any

import aiohttp
import aiohttp_jinja2

from crm import clients, interventions
from crm.models import Role
from tests.console.browsing import launch, needs_chromium, shot
from tests.console.conftest import GROUP_NUMBER, Product, make_group
from tests.web.webtools import PASSWORD, make_user

pytestmark = needs_chromium

WIDTHS = (1280, 1366)
KEYS = ("sp-answer", "sp-reject", "sp-hangup")

# Every visible element of the top bar that pokes out of the viewport or below the bar.
OUTSIDE_BAR = """() => {
  const bar = document.querySelector('.topbar').getBoundingClientRect();
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('.topbar *')]
    .filter((e) => e.checkVisibility() && e.getBoundingClientRect().width > 0)
    .filter((e) => !e.closest('.nav-sub'))  // an open drop-down hangs below the bar
    .map((e) => [e, e.getBoundingClientRect()])
    .filter(([, r]) => r.right > width + 0.5 || r.left < -0.5 || r.bottom > bar.bottom + 0.5)
    .map(([e, r]) => `${e.tagName} "${e.textContent.trim().slice(0, 30)}" right=${r.right}`);
}"""


async def sign_in(page: Any, base: str, login: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit].btn-primary")
    await page.wait_for_url(lambda url: "/login" not in url)


async def switch_language(page: Any, lang: str) -> None:
    async with page.expect_navigation():
        await page.click(f'.lang-switch button[value="{lang}"]')
    assert await page.get_attribute("html", "lang") == lang


async def check_bar_fits(page: Any, width: int, where: str) -> None:
    from playwright.async_api import expect

    await page.set_viewport_size({"width": width, "height": 800})
    assert await page.evaluate(OUTSIDE_BAR) == [], where
    bar = await page.locator(".topbar").bounding_box()
    logout = await page.locator('.topbar-right button[type="submit"].btn').bounding_box()
    assert bar["height"] <= 64, f"{where}: the bar wrapped ({bar['height']}px)"
    assert logout["x"] + logout["width"] <= width, where
    assert logout["y"] + logout["height"] <= bar["height"], where
    await expect(page.locator(".nav-toggle")).to_be_hidden()


async def test_top_bar_fits_at_laptop_widths(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    # As `prowebcrm demo` serves it: the administrator's bar also holds "Traffic".
    aiohttp_jinja2.get_env(prod.app).globals["demo_mode"] = True
    await make_user("root", Role.ADMIN, name="Alexandre-Emmanuel Administrateur")
    await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert")
    await make_user("alice", Role.AGENT, name="Alice Martin")
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            for login in ("root", "sophie", "alice"):
                context = await browser.new_context(viewport={"width": 1280, "height": 800})
                page = await context.new_page()
                # A missing favicon shows only as a console error, not as a page response.
                errors: list[str] = []
                page.on("console", lambda m, seen=errors: seen.append(m.text)
                        if m.type == "error" else None)
                await sign_in(page, base, login)
                await page.goto(f"{base}/clients")
                traffic = page.locator('.nav-list > li > a[href="/admin/traffic"]')
                await expect(traffic).to_have_count(1 if login == "root" else 0)
                for lang in ("en", "fr"):
                    await switch_language(page, lang)
                    for width in WIDTHS:
                        await check_bar_fits(page, width, f"{login} {lang} {width}px")
                        await shot(page, f"60-topbar-{login}-{lang}-{width}")
                assert errors == [], f"{login}: {errors}"
                await context.close()

            # The administration menu opens under the bar, inside the window, and closes.
            page = await (await browser.new_context(viewport={"width": 1280, "height": 800})
                          ).new_page()
            await sign_in(page, base, "root")
            await switch_language(page, "fr")
            menu = page.locator("details.nav-menu")
            await menu.locator("summary").click()
            users = menu.locator('a[href="/admin/users"]')
            await expect(users).to_be_visible()
            box = await menu.locator(".nav-sub").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
            await shot(page, "61-topbar-admin-menu-open")
            await page.keyboard.press("Escape")
            await expect(users).to_be_hidden()
            await menu.locator("summary").click()
            await page.click("h1")
            await expect(users).to_be_hidden()
            await menu.locator("summary").click()
            await users.click()
            await page.wait_for_url(f"{base}/admin/users")
            await expect(page.locator("details.nav-menu summary")).to_have_class("is-current")

            # The icon is a real SVG.
            href = await page.get_attribute('link[rel="icon"]', "href")
            response = await page.request.get(f"{base}{href}")
            assert response.status == 200 and response.headers["content-type"] == "image/svg+xml"
            assert (await response.text()).lstrip().startswith("<svg")

            # A narrow window: nothing sticks out, the menu folds behind ☰ and still works.
            await page.set_viewport_size({"width": 390, "height": 760})
            assert await page.evaluate(
                "document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            assert await page.evaluate(OUTSIDE_BAR) == []
            await expect(page.locator(".nav-list")).to_be_hidden()
            await page.click(".nav-toggle")
            await page.locator("details.nav-menu summary").click()
            tokens = page.locator('.nav-sub a[href="/admin/tokens"]')
            await expect(tokens).to_be_visible()
            assert (await tokens.bounding_box())["x"] + 10 < 390
            await shot(page, "62-topbar-narrow-menu")
            await tokens.click()
            await page.wait_for_url(f"{base}/admin/tokens")
        finally:
            await browser.close()


async def visible_keys(page: Any) -> list[str]:
    return [key for key in KEYS if await page.locator(f"#{key}").is_visible()]


async def test_acd_card_softphone_transfer_list_and_latest_interventions(
        served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin", language="fr")
    bob = await make_user("bob", Role.AGENT, name="Bob Durand")
    await make_user("carl", Role.AGENT, name="Carl Absent")
    await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert")
    await make_group([alice])
    await prod.reload_groups()
    prod.sim.phones.add("201", behaviour="manual")
    client = await clients.create_client({"last_name": "Souvent", "phones": [
        {"number": "0611223344"}]}, region="FR", actor=alice)
    for n in range(1, 24):
        await interventions.add_intervention(client.id, {"text": f"note {n}"}, agent=alice)

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        bob_api = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        try:
            await sign_in(page, base, "alice")
            await page.wait_for_url(f"{base}/agent")
            # The ACD login card in French: nothing wider than the card, radios on their line.
            card = await page.locator("#acd-login").bounding_box()
            for part in ("#acd-extension", "#acd-login-submit"):
                box = await page.locator(part).bounding_box()
                assert box["x"] + box["width"] <= card["x"] + card["width"] - 10, part
            for value in ("available", "paused"):
                label = page.locator(f'label.choice:has(input[value="{value}"])')
                radio = await label.locator("input").bounding_box()
                text = await label.bounding_box()
                assert text["height"] < 2 * radio["height"] + 8, "radio above its label"
                assert radio["x"] <= text["x"] + 1 and radio["width"] < text["width"] / 2
            await shot(page, "63-acd-login-card-fr-1366")

            await page.fill("#acd-extension", "201")
            await page.click("#acd-login-submit")
            await expect(page.locator("#state-badge")).to_have_attribute("data-state", "available")
            # Idle phone: no key, a clear word instead.
            await expect(page.locator("#softphone-state")).to_have_text("au repos")
            await expect(page.locator("#softphone-idle")).to_be_visible()
            assert await visible_keys(page) == []

            # Bob and the supervisor are not in the ACD: nobody to transfer to, and it says so.
            prod.sim.place_inbound_call(GROUP_NUMBER, "0611223344")
            await expect(page.locator("#softphone")).to_have_attribute("data-state", "ringing")
            await expect(page.locator("#sp-answer")).to_be_visible()
            assert await visible_keys(page) == ["sp-answer", "sp-reject"]
            await expect(page.locator("#softphone-idle")).to_be_hidden()
            await shot(page, "64-softphone-ringing")
            await page.click("#sp-answer")
            await expect(page.locator("#softphone")).to_have_attribute("data-state", "in_call")
            await expect(page.locator("#sp-hangup")).to_be_visible()
            assert await visible_keys(page) == ["sp-hangup"]
            await page.click("#btn-transfer")
            await expect(page.locator("#tr-agent-none")).to_be_visible()
            await expect(page.locator("#tr-agent option")).to_have_text(["—"])
            await expect(page.locator("#tr-go")).to_be_disabled()
            await page.select_option("#tr-kind", "group")
            await expect(page.locator("#tr-go")).to_be_enabled()
            await page.select_option("#tr-kind", "agent")

            # Bob logs in to the ACD: he is the only entry, with his live state.
            response = await bob_api.post(f"{base}/api/v1/auth/login",
                                          json={"login": "bob", "password": PASSWORD})
            token = (await response.json())["csrf_token"]
            response = await bob_api.post(f"{base}/api/v1/agent/login", json={"extension": "202"},
                                          headers={"X-CSRF-Token": token})
            assert response.status == 200, await response.text()
            await page.focus("#tr-agent")  # the list is re-read when looked at
            options = page.locator("#tr-agent option")
            await expect(options).to_have_count(1)
            await expect(options.first).to_have_text("Bob Durand — Disponible")
            await expect(page.locator("#tr-agent")).to_have_value(str(bob.id))
            await expect(page.locator("#tr-agent-none")).to_be_hidden()
            await expect(page.locator("#tr-go")).to_be_enabled()
            await shot(page, "65-transfer-list")
            response = await bob_api.post(f"{base}/api/v1/agent/status", json={"state": "paused"},
                                          headers={"X-CSRF-Token": token})
            assert response.status == 200, await response.text()
            await page.focus("#search-q")
            await page.focus("#tr-agent")
            await expect(options.first).to_have_text("Bob Durand — En pause")
            await expect(page.locator("#tr-agent-busy")).to_be_visible()
            await expect(page.locator("#tr-go")).to_be_disabled()

            # The caller's record: the 10 latest of 23 interventions, oldest first.
            await expect(page.locator("#record-title")).to_contain_text("Souvent")
            notes = page.locator("#interventions .intervention-text")
            await expect(notes).to_have_count(10)
            assert await notes.all_text_contents() == [f"note {n}" for n in range(14, 24)]
            assert await page.eval_on_selector("#interventions", "ol => ol.start") == 14
            await expect(page.locator("#interventions-count")).to_have_text(
                "Les 10 plus récentes des 23 interventions.")
            await page.click("#interventions-earlier")
            await expect(notes).to_have_count(20)
            assert (await notes.all_text_contents())[0] == "note 4"
            await expect(page.locator("#interventions-earlier")).to_be_hidden()  # 3 left
            await page.click("#interventions-all")
            await expect(notes).to_have_count(23)
            await expect(page.locator("#interventions-more")).to_be_hidden()
            await shot(page, "66-record-all-interventions")

            await page.click("#sp-hangup")
            await expect(page.locator("#softphone")).to_have_attribute("data-state", "idle")
            assert await visible_keys(page) == []
            await expect(page.locator("#softphone-idle")).to_be_visible()
        finally:
            await bob_api.close()
            await browser.close()


async def test_client_list_shows_a_first_page(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    _, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    for n in range(30):
        await clients.create_client({"last_name": f"Zed{29 - n:02d}", "first_name": "Ana",
                                     "company": "Lumière SA" if n == 4 else "",
                                     "phones": [{"number": f"06987654{n:02d}"}]},
                                    region="FR", actor=alice)
    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1280, "height": 800})
                      ).new_page()
        try:
            await sign_in(page, base, "alice")
            await page.goto(f"{base}/clients")
            names = page.locator("#search-results .result-pick strong")
            await expect(names).to_have_count(25)
            assert (await names.all_text_contents())[:3] == ["Zed00", "Zed01", "Zed02"]
            await expect(page.locator(".pager")).to_contain_text("1–25 of 30")
            await shot(page, "67-clients-default")
            await page.click(".pager a")
            await page.wait_for_url(f"{base}/clients?q=&offset=25")
            await expect(names).to_have_count(5)

            # Typing narrows the list without a submit (and the address follows).
            await page.fill("#search-q", "lumière")
            await expect(names).to_have_count(1)
            await expect(names.first).to_have_text("Zed25")
            await expect(page).to_have_url(f"{base}/clients?q=lumi%C3%A8re")
            await page.locator("#search-results .result-pick").click()
            await page.wait_for_url(f"{base}/clients/*")
            await expect(page.locator("#r-last_name")).to_have_value("Zed25")
        finally:
            await browser.close()


async def test_transfer_from_a_colleague_who_logged_in_later(served: tuple[Product, str]) -> None:
    """The directory holds only the colleagues in the ACD when the page read it: a call
    handed over by one who logged in since still names them."""
    from playwright.async_api import async_playwright, expect

    prod, base = served
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    bob = await make_user("bob", Role.AGENT, name="Bob Durand")
    await make_group([alice])
    await make_group([bob], number="600")
    await prod.reload_groups()
    prod.sim.phones.add("201", behaviour="manual")
    prod.sim.phones.add("202", behaviour="manual")

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1280, "height": 800})
                      ).new_page()
        bob_api = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        try:
            await sign_in(page, base, "alice")
            await page.fill("#acd-extension", "201")
            await page.click("#acd-login-submit")
            await expect(page.locator("#state-badge")).to_have_attribute("data-state", "available")

            response = await bob_api.post(f"{base}/api/v1/auth/login",
                                          json={"login": "bob", "password": PASSWORD})
            headers = {"X-CSRF-Token": (await response.json())["csrf_token"]}
            response = await bob_api.post(f"{base}/api/v1/agent/login", json={"extension": "202"},
                                          headers=headers)
            assert response.status == 200, await response.text()
            prod.sim.place_inbound_call("600", "0699887766")
            await prod.until(lambda: prod.state(bob.id) == "ringing", what="bob ringing")
            await prod.sim.phone("202").answer_when_ringing()
            await prod.until(lambda: prod.state(bob.id) == "on_call", what="bob on call")
            response = await bob_api.post(f"{base}/api/v1/agent/call/transfer", headers=headers,
                                          json={"kind": "agent", "value": str(alice.id)})
            assert response.status == 200, await response.text()

            await expect(page.locator("#softphone")).to_have_attribute("data-state", "ringing")
            await expect(page.locator("#call-meta")).to_contain_text("transferred by Bob Durand")
            await page.click("#sp-answer")
            await expect(page.locator("#call-meta")).to_contain_text("transferred by Bob Durand")
        finally:
            await bob_api.close()
            await browser.close()
