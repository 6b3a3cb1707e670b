"""Demo data, created through the crm services (so it is validated and audited like real data).

Deterministic (seeded) so two fresh demos look alike. Logins and passwords are printed by the
demo; they are for a demo on loopback only.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers

from crm import clients, groups, reference, users
from crm.models import Client, User

ADMIN = ("admin", "Alex Admin", "admin", "demo-admin")
SUPERVISOR = ("superviseur", "Sophie Lambert", "supervisor", "demo-super")
HUMAN_AGENTS = [
    ("alice", "Alice Martin", "2001"),
    ("bruno", "Bruno Leroy", "2002"),
]
BOT_AGENTS = [
    ("chloe", "Chloé Bernard", "2003"),
    ("david", "David Petit", "2004"),
    ("emma", "Emma Robert", "2005"),
    ("farid", "Farid Haddad", "2006"),
    ("gabriel", "Gabriel Moreau", "2007"),
    ("hugo", "Hugo Fournier", "2008"),
    ("ines", "Inès Girard", "2009"),
    ("jules", "Jules Bonnet", "2010"),
]
AGENT_PASSWORD = "demo-agent"

PAUSE_REASONS = [("lunch", "Déjeuner"), ("break", "Pause café"), ("training", "Formation"),
                 ("meeting", "Réunion"), ("admin", "Tâches administratives")]
DISPOSITIONS = [("sale", "Vente conclue"), ("info", "Demande d'information"),
                ("complaint", "Réclamation"), ("callback", "À rappeler"),
                ("wrong", "Faux numéro")]

FIRST = ["Camille", "Louis", "Manon", "Nathan", "Léa", "Lucas", "Chloé", "Hugo", "Sarah",
         "Thomas", "Julie", "Antoine", "Laura", "Maxime", "Pauline", "Nicolas", "Marie",
         "Olivier", "Anne", "Pierre", "Emily", "James", "Hannah", "Lukas", "Sofia"]
LAST = ["Dubois", "Durand", "Lefebvre", "Mercier", "Blanc", "Guerin", "Muller", "Henry",
        "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clement", "Gauthier", "Dumont",
        "Lopez", "Fontaine", "Chevalier", "Robin", "Smith", "Brown", "Schmidt", "Rossi"]
COMPANIES = ["Boulangerie du Marché", "Transports Rhône-Alpes", "Cabinet Lefort", "Agence Azur",
             "Garage des Alpes", "Pharmacie Centrale", "Hôtel Le Provençal", "SARL Bâtiplus",
             "Librairie des Arts", "Studio Lumière", "Acme Ltd", "Berlin Tech GmbH", ""]
CITIES = [("Avignon", "84000", "FR"), ("Marseille", "13001", "FR"), ("Lyon", "69002", "FR"),
          ("Paris", "75011", "FR"), ("Nice", "06000", "FR"), ("London", "EC1A 1BB", "GB"),
          ("Berlin", "10115", "DE"), ("Bruxelles", "1000", "BE")]
REMARKS = ["Préfère être appelé le matin.", "Client fidèle depuis 2015.",
           "Demande toujours une confirmation par e-mail.", "Parle anglais de préférence.",
           "Intéressé par l'offre premium.", ""]


@dataclass(frozen=True)
class DemoLogin:
    login: str
    password: str
    role: str
    name: str
    extension: str = ""


def demo_logins() -> list[DemoLogin]:
    people = [DemoLogin(ADMIN[0], ADMIN[3], "admin", ADMIN[1]),
              DemoLogin(SUPERVISOR[0], SUPERVISOR[3], "supervisor", SUPERVISOR[1])]
    people += [DemoLogin(login, AGENT_PASSWORD, "agent", name, ext)
               for login, name, ext in HUMAN_AGENTS]
    return people


async def already_seeded() -> bool:
    return await User.exists()


async def seed(region: str, progress: Callable[[str], None] = print, clients_count: int = 300
               ) -> None:
    rng = random.Random(20260101)
    progress("seeding users")
    admin = await users.create_user(
        users.NewUser(login=ADMIN[0], name=ADMIN[1], role=ADMIN[2], password=ADMIN[3]),
        actor=None, ip="demo")
    await users.create_user(
        users.NewUser(login=SUPERVISOR[0], name=SUPERVISOR[1], role=SUPERVISOR[2],
                      password=SUPERVISOR[3]),
        actor=admin, ip="demo")
    agents: dict[str, User] = {}
    for login, name, ext in HUMAN_AGENTS + BOT_AGENTS:
        agents[login] = await users.create_user(
            users.NewUser(login=login, name=name, role="agent", password=AGENT_PASSWORD,
                          extension=ext),
            actor=admin, ip="demo")

    progress("seeding groups (queues)")
    ids = {login: user.id for login, user in agents.items()}

    def members(*logins: str) -> list[dict]:
        return [{"user_id": ids[x], "penalty": n // 3} for n, x in enumerate(logins)]

    sales = await groups.create_group(groups.NewGroup.model_validate({
        "name": "Ventes", "number": "100", "strategy": "longest_idle",
        "description": "Prospects et nouvelles commandes", "ring_timeout_s": 15,
        "wrapup_s": 5, "autopause_after": 3,
        "members": members("alice", "bruno", "chloe", "david", "emma", "farid")}),
        actor=admin, region=region, ip="demo")
    await groups.create_group(groups.NewGroup.model_validate({
        "name": "Support", "number": "200", "strategy": "fewest_calls",
        "description": "Assistance technique", "ring_timeout_s": 15, "wrapup_s": 10,
        "max_wait_s": 180, "overflow_kind": "group", "overflow_target": str(sales.id),
        "members": members("alice", "bruno", "gabriel", "hugo", "ines", "jules")}),
        actor=admin, region=region, ip="demo")
    await groups.create_group(groups.NewGroup.model_validate({
        "name": "VIP", "number": "300", "strategy": "penalty",
        "description": "Grands comptes", "ring_timeout_s": 20, "wrapup_s": 15,
        "sticky_s": 60, "max_wait_s": 120, "overflow_kind": "goodbye",
        "members": members("bruno", "emma", "gabriel", "jules")}),
        actor=admin, region=region, ip="demo")

    progress("seeding pause reasons and dispositions")
    for position, (code, label) in enumerate(PAUSE_REASONS):
        await reference.create_entry("pause_reason", reference.NewEntry(
            code=code, label=label, position=position), actor=admin, ip="demo")
    for position, (code, label) in enumerate(DISPOSITIONS):
        await reference.create_entry("disposition", reference.NewEntry(
            code=code, label=label, position=position), actor=admin, ip="demo")

    for n in range(clients_count):
        await clients.create_client(_fake_client(rng, n), region=region, actor=admin, ip="demo")
        if (n + 1) % 50 == 0 or n + 1 == clients_count:
            progress(f"seeding clients {n + 1}/{clients_count}")


def _fake_client(rng: random.Random, n: int) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, postal, country = rng.choice(CITIES)
    company = rng.choice(COMPANIES)
    phones = [{"number": _fake_number(rng, country), "label": "mobile"}]
    if rng.random() < 0.3:
        phones.append({"number": _fake_number(rng, country, landline=True), "label": "bureau"})
    return {
        "first_name": first,
        "last_name": last,
        "company": company,
        "email": f"{first}.{last}{n}@example.com".lower().replace("é", "e").replace("è", "e"),
        "city": city,
        "postal_code": postal,
        "country": country,
        "remarks": rng.choice(REMARKS),
        "phones": phones,
    }


def _fake_number(rng: random.Random, country: str, landline: bool = False) -> str:
    """A number phonenumbers accepts as valid for the country (the CRM refuses others)."""
    head, digits = {
        "FR": (rng.choice(["01", "04", "05"]) if landline else rng.choice(["06", "07"]), 8),
        "GB": ("+447", 9),
        "DE": ("+49151", 8),
        "BE": ("+32470", 6),
    }[country]
    while True:
        number = head + "".join(str(rng.randrange(10)) for _ in range(digits))
        parsed = phonenumbers.parse(number, country)
        if phonenumbers.is_valid_number(parsed):
            return number


async def known_numbers(limit: int = 200) -> list[str]:
    """Client numbers the demo's callers use, so screen pops find real records."""
    rows = await Client.all().limit(limit).prefetch_related("phones")
    return [phone.number for client in rows for phone in client.phones][:limit]
