"""Two agents and a supervisor in real browsers (Debian chromium) on the whole product, on
the simulated Asterisk and, when PROWEBCRM_TEST_ARI_* is given, on a real one: the pop,
a new client, a transfer carrying the record to the other agent, the supervisor watching
it live, the hang-up and wrap-up. The phones answer by themselves (Local channels into an
answering context on a real Asterisk), so nobody has to pick up a handset.
Screenshots: test-artifacts/flows-browser/<telephony>-NN-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from argon2 import PasswordHasher

from crm import db as crm_db
from crm import passwords
from crm.models import Call, CallOutcome, Role
from prowebcrm.server import build_app
from prowebcrm.settings import Settings
from tests.console.browsing import launch, log_in, needs_chromium
from tests.console.conftest import free_port
from tests.web.webtools import make_user
from web.appkeys import RUNTIME_KEY, SERVICES_KEY

from .conftest import Telephony, make_group
from .test_flow_console_web import Product
from .test_flow_inbound import assert_nothing_left

pytestmark = needs_chromium
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "flows-browser"


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


@pytest.fixture
async def served(flow_settings: Settings, telephony: Telephony
                 ) -> AsyncIterator[tuple[Product, str]]:
    def keep_runtime(app: web.Application, runtime: Any) -> None:
        app[SERVICES_KEY]["acd_runtime"] = runtime

    app = build_app(flow_settings, takeover=True, on_acd_ready=keep_runtime)
    app[SERVICES_KEY]["lost_page_grace_s"] = 600.0  # the test closes pages at will
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    product = Product(app, None, telephony)  # type: ignore[arg-type]
    try:
        await product.until(lambda: app[RUNTIME_KEY] is not None, what="the ACD connected")
        yield product, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await crm_db.close_db()
        await telephony.clean_up(("pw",))


async def shot(page: Any, tel: Telephony, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{tel.name}-{name}.png"), full_page=True)


async def test_two_agents_and_a_supervisor_in_browsers(served: tuple[Product, str]) -> None:
    from playwright.async_api import async_playwright, expect

    product, base = served
    tel = product.tel
    alice = await make_user("alice", Role.AGENT, name="Alice Martin")
    bob = await make_user("bob", Role.AGENT, name="Bob Durand")
    await make_user("sup", Role.SUPERVISOR, name="Sue Supervisor")
    group = await make_group("browsers", [alice], strategy="linear", wrapup_s=0)
    await product.runtime.reload_groups()

    async with async_playwright() as pw:
        browser = await launch(pw)
        pages = []
        for _ in range(3):
            context = await browser.new_context(viewport={"width": 1366, "height": 900},
                                                locale="en-US")
            pages.append(await context.new_page())
        pa, pb, ps = pages
        errors: list[str] = []
        for page in pages:
            page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            await log_in(ps, base, "sup", landing="/supervision")
            for page, login, ext in ((pa, "alice", "2601"), (pb, "bob", "2602")):
                await log_in(page, base, login)
                await page.fill("#acd-extension", tel.extension(ext))
                await page.click("#acd-login-submit")
                await expect(page.locator("#state-badge")).to_have_attribute(
                    "data-state", "available")
            await expect(ps.locator(f'#sv-agents tr[data-agent="{alice.id}"]')).to_have_attribute(
                "data-state", "available")
            await shot(pa, tel, "01-alice-available")

            # A caller nobody knows: Alice's phone answers, her page pops and takes the call.
            await tel.place_inbound(group.number, "0612345678", "Prospect")
            await expect(pa.locator("#btn-hangup")).to_be_visible(timeout=10_000)
            await expect(pa.locator("#btn-new-client")).to_be_visible()
            call_row = ps.locator("#sv-calls tr[data-call]")
            await expect(call_row).to_have_count(1)
            await expect(call_row.locator(".sv-agent")).to_have_text("Alice Martin")
            await shot(pa, tel, "02-alice-pop-on-call")
            await shot(ps, tel, "03-supervisor-sees-the-call")

            await pa.click("#btn-new-client")
            await expect(pa.locator("#r-new-phone")).to_have_value("0612345678")
            await pa.fill("#r-last_name", "Lefebvre")
            await pa.fill("#r-company", "Garage du Port")
            await pa.click("#record-save")
            await expect(pa.locator("#phone-list li")).to_have_count(1)
            await pa.fill("#intervention-text", "Wants a quote for two cars")

            # Blind transfer to Bob with the record and the note written so far.
            await pa.click("#btn-transfer")
            await pa.select_option("#tr-agent", value=str(bob.id))
            await pa.click("#tr-go")
            await expect(pb.locator("#record-title")).to_contain_text("Lefebvre", timeout=10_000)
            await expect(pb.locator("#intervention-text")).to_have_value(
                "Wants a quote for two cars")
            await expect(pb.locator("#btn-hangup")).to_be_visible(timeout=10_000)
            await expect(call_row.locator(".sv-agent")).to_have_text("Bob Durand")
            await expect(pa.locator("#state-badge")).to_have_attribute("data-state", "available")
            await shot(pb, tel, "04-bob-has-the-record")
            await shot(ps, tel, "05-supervisor-sees-bob")

            # Bob ends the call: the caller is gone too, the supervisor's list empties.
            await pb.click("#btn-hangup")
            await expect(pb.locator("#wrapup-card")).to_be_visible()
            await expect(ps.locator("#sv-calls tr[data-call]")).to_have_count(0)
            await shot(pb, tel, "06-bob-wrapup")
            assert not errors, errors
        finally:
            await browser.close()

    await assert_nothing_left(product)
    first = await Call.get(outcome=CallOutcome.TRANSFERRED)
    second = await Call.get(transferred_from_id=first.id)
    assert (first.agent_id, second.agent_id) == (alice.id, bob.id)
    assert first.client_id == second.client_id is not None
    assert second.outcome is CallOutcome.ANSWERED
