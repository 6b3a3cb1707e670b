"""B7: every UI text has a French translation, and French pages really are French."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp.test_utils import TestClient
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from crm.models import Role
from tests.web.webtools import login, make_user, page_csrf

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
OWN_CRM = {"users.py", "groups.py", "tokens.py", "reference.py"}


# The Foundation's own texts (administration, login, layout); other features' texts are
# checked by the global test below.
FOUNDATION_FILES = {"base.html", "error.html", "placeholder.html", "login.html", "forms.html",
                    "app.py", "errors.py", "render.py", "csrf.py", "auth.py", "login.py",
                    "common.py", "admin_users.py", "admin_groups.py", "admin_misc.py",
                    *OWN_CRM}
FOUNDATION_DIRS = {"admin"}


def _msgids(only_foundation: bool = False) -> set[str]:
    found: set[str] = set()
    for directory, method in ((ROOT / "web" / "templates", [("**.html", "jinja2")]),
                              (ROOT / "web", [("**.py", "python")]),
                              (ROOT / "crm", [("**.py", "python")])):
        options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
        for filename, _, message, *_ in extract_from_dir(
            str(directory), method_map=method, options_map=options, keywords=KEYWORDS
        ):
            name = Path(filename).name
            if directory.name == "crm" and name not in OWN_CRM:
                continue
            if only_foundation and name not in FOUNDATION_FILES and not (
                    set(Path(filename).parts) & FOUNDATION_DIRS):
                continue
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    found.add(msgid)
    return found


def _untranslated(msgids: set[str]) -> tuple[list[str], list[str]]:
    # Each feature keeps its own .po (web.i18n merges them), so check against all of them.
    translated: set[str] = set()
    fuzzy: list[str] = []
    for path in sorted((ROOT / "web/locale/fr/LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="fr")
        for m in catalog:
            if m.id and m.string and not m.fuzzy:
                # a plural entry (ngettext) translates its singular and its plural msgid
                translated |= set(m.id) if isinstance(m.id, tuple) else {m.id}
        fuzzy += [f"{path.name}: {m.id}" for m in catalog if m.id and m.fuzzy]
    return sorted(msgids - translated), fuzzy


def test_foundation_msgids_have_a_french_translation() -> None:
    msgids = _msgids(only_foundation=True)
    assert len(msgids) > 150
    missing, fuzzy = _untranslated(msgids)
    assert not missing, f"untranslated: {missing}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_every_msgid_has_a_french_translation() -> None:
    """Every text of every feature (templates, web code, crm errors) is in a French .po."""
    missing, fuzzy = _untranslated(_msgids())
    assert not missing, f"untranslated: {missing}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_templates_have_no_bare_text_outside_gettext() -> None:
    """A cheap guard: headings and buttons go through _()."""
    for path in (ROOT / "web" / "templates").rglob("*.html"):
        for match in re.finditer(r"<(h1|h2|button|th|legend)[^>]*>([^<{]+)<", path.read_text()):
            text = match.group(2).strip()
            assert not re.search(r"[A-Za-z]{3,}", text), f"{path.name}: {text!r}"


async def test_french_from_accept_language(client: TestClient) -> None:
    html = await (await client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})).text()
    assert '<html lang="fr">' in html
    assert "Se connecter" in html and "Mot de passe" in html
    html = await (await client.get("/login", headers={"Accept-Language": "en-US"})).text()
    assert "Log in" in html and "Password" in html


async def test_language_switch_cookie_then_user_setting(client: TestClient) -> None:
    token = await page_csrf(client)
    response = await client.post("/lang", data={"csrf_token": token, "lang": "fr",
                                                "next": "/login"}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert "Identifiant" in await (await client.get("/login")).text()

    admin = await make_user("admin", Role.ADMIN, language="en")
    await login(client, "admin")
    html = await (await client.get("/admin/users")).text()
    assert "Add a user" in html  # the user's own setting beats the cookie
    token = await page_csrf(client, "/admin/users")
    await client.post("/lang", data={"csrf_token": token, "lang": "fr", "next": "/admin/users"})
    html = await (await client.get("/admin/users")).text()
    assert "Ajouter un utilisateur" in html and "Utilisateurs" in html
    await admin.refresh_from_db()
    assert admin.language == "fr"


async def test_french_form_errors(client: TestClient) -> None:
    await make_user("admin", Role.ADMIN, language="fr")
    await login(client, "admin")
    token = await page_csrf(client, "/admin/users/new")
    html = await (await client.post("/admin/users/new", data={
        "csrf_token": token, "login": "ab", "name": "X", "password": "long-enough",
        "role": "agent"})).text()
    assert "au moins 3 caractères" in html
    assert "Veuillez corriger les champs ci-dessous." in html
