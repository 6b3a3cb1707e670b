"""Issue 14, items 2 and 3 in a real browser: "Add a group" starts empty (no
"PydanticUndefined"), and one extension belongs to one person — the user form refuses a
default extension another user has, the ACD login one a logged-in agent is using."""

from __future__ import annotations

from crm.models import Group, Role, User
from tests.console.browsing import acd_login, launch, log_in, needs_chromium, shot
from tests.console.conftest import Product, make_group, served  # noqa: F401  (fixture)
from tests.web.webtools import make_user

pytestmark = needs_chromium


async def test_new_group_form_starts_empty(served: tuple[Product, str]) -> None:  # noqa: F811
    from playwright.async_api import async_playwright, expect

    _, base = served
    await make_user("root", Role.ADMIN, name="Root Admin")
    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                      ).new_page()
        try:
            await log_in(page, base, "root", landing="/admin/users")
            await page.goto(f"{base}/admin/groups/new")
            await expect(page.locator("#f-name")).to_have_value("")
            assert "PydanticUndefined" not in await page.content()
            # The other settings keep their defaults.
            await expect(page.locator("#f-ring_timeout_s")).to_have_value("20")
            await shot(page, "90-new-group-form")
            await page.click("form.card button[type=submit].btn-primary")
            await expect(page.locator(".alert-error")).to_be_visible()
            await expect(page.locator(".field.has-error:has(#f-name) .error")).to_be_visible()
            assert await Group.all().count() == 0
        finally:
            await browser.close()


async def test_one_extension_one_person(served: tuple[Product, str]) -> None:  # noqa: F811
    from playwright.async_api import async_playwright, expect

    prod, base = served
    await make_user("root", Role.ADMIN, name="Root Admin")
    alice = await make_user("alice", Role.AGENT, name="Alice Martin", extension="201")
    bob = await make_user("bob", Role.AGENT, name="Bob Durand", extension="202")
    await make_group([alice, bob])
    await prod.reload_groups()
    prod.sim.phones.add("201", behaviour="manual")
    prod.sim.phones.add("202", behaviour="manual")

    async with async_playwright() as pw:
        browser = await launch(pw)
        admin = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                       ).new_page()
        p1 = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                    ).new_page()
        p2 = await (await browser.new_context(viewport={"width": 1366, "height": 768})
                    ).new_page()
        try:
            # The administration: 201 is Alice's, it cannot become Carl's default too.
            await log_in(admin, base, "root", landing="/admin/users")
            await admin.goto(f"{base}/admin/users/new")
            await admin.fill("#f-login", "carl")
            await admin.fill("#f-name", "Carl Petit")
            await admin.fill("#f-password", "correct-horse-2")
            await admin.fill("#f-extension", "201")
            await admin.click("form.card button[type=submit].btn-primary")
            error = admin.locator(".field.has-error:has(#f-extension) .error")
            await expect(error).to_contain_text("Alice Martin")
            await shot(admin, "91-extension-taken-admin")
            assert not await User.filter(login="carl").exists()
            # Nor can Bob's record take it.
            await admin.goto(f"{base}/admin/users/{bob.id}")
            await admin.fill("#f-extension", "201")
            await admin.click("form.card button[type=submit].btn-primary")
            await expect(admin.locator(".field.has-error:has(#f-extension) .error")).to_be_visible()
            assert (await User.get(id=bob.id)).extension == "202"

            # The ACD: Alice is on 201; Bob cannot log in on it, on his own he can.
            await log_in(p1, base, "alice")
            await acd_login(p1, "201")
            await log_in(p2, base, "bob")
            await p2.fill("#acd-extension", "201")
            await p2.click("#acd-login-submit")
            await expect(p2.locator('[data-field="extension"] .error')).to_contain_text(
                "Alice Martin")
            await shot(p2, "92-extension-in-use-console")
            assert prod.state(bob.id) in (None, "logged_out")
            await acd_login(p2, "202")
            assert prod.state(bob.id) == "available"
        finally:
            await browser.close()
