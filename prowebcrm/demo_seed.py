"""Demo data, created through the crm services (so it is validated and audited like real data).

Deterministic (seeded) so two fresh demos look alike. Logins and passwords are printed by the
demo; they are for a demo on loopback only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import phonenumbers
from tortoise import Tortoise

from crm import clients, groups, reference, users
from crm.clock import utcnow
from crm.models import (
    AuditLog,
    Call,
    Client,
    ClientPhone,
    Disposition,
    Group,
    Offer,
    Setting,
    User,
)
from crm.stats.rollups import rebuild_rollups
from prowebcrm import demo_history

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
]
# Local hour each agent's shift starts in the generated history, and who works weekends.
SHIFTS = {"alice": (8.5, False), "bruno": (9.0, True), "chloe": (8.0, True),
          "david": (10.0, False), "emma": (9.5, False), "farid": (11.5, True),
          "gabriel": (8.0, False), "hugo": (12.0, True)}
GROUP_MEMBERS = {
    "100": ("alice", "bruno", "chloe", "david", "emma"),
    "200": ("alice", "bruno", "farid", "gabriel", "hugo"),
    "300": ("bruno", "emma", "gabriel", "hugo"),
}
# Share of the calls each group gets (the live generator and the history agree).
GROUP_SHARE = {"100": 0.5, "200": 0.35, "300": 0.15}
HISTORY_DAYS = 60
SEED_MARKER = "demo.seeded"
AGENT_PASSWORD = "demo-agent"

# (code, English label, French label): the console shows the user's language.
PAUSE_REASONS = [("lunch", "Lunch", "Déjeuner"), ("break", "Coffee break", "Pause café"),
                 ("training", "Training", "Formation"), ("meeting", "Meeting", "Réunion"),
                 ("admin", "Paperwork", "Tâches administratives")]
DISPOSITIONS = [("sale", "Sale made", "Vente conclue"),
                ("info", "Information request", "Demande d'information"),
                ("complaint", "Complaint", "Réclamation"), ("callback", "Call back", "À rappeler"),
                ("wrong", "Wrong number", "Faux numéro")]

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
    """The last step of :func:`seed` went through (data survives restarts)."""
    return await Setting.exists(key=SEED_MARKER)


async def has_data() -> bool:
    return await User.exists()


async def seed(
    region: str,
    tz: ZoneInfo,
    progress: Callable[[str], None] = print,
    clients_count: int = 300,
    history_days: int | None = None,
) -> None:
    """Everything the demo shows from the first minute; the last step marks it done."""
    history_days = HISTORY_DAYS if history_days is None else history_days
    rng = random.Random(20260101)
    progress("seeding users")
    admin, agents = await _seed_users()
    progress("seeding groups (queues)")
    group_ids = await _seed_groups(admin, {login: u.id for login, u in agents.items()}, region)
    progress("seeding pause reasons and dispositions")
    await _seed_reference(admin)
    for n in range(clients_count):
        await clients.create_client(_fake_client(rng, n), region=region, actor=admin, ip="demo")
        if (n + 1) % 50 == 0 or n + 1 == clients_count:
            progress(f"seeding clients {n + 1}/{clients_count}")
    if history_days > 0:
        await seed_history(agents, group_ids, tz, history_days, progress)
    await _backdate(tz, history_days + 1)
    await Setting.create(key=SEED_MARKER, value={"at": utcnow().isoformat(),
                                                 "history_days": history_days})


async def _seed_users() -> tuple[User, dict[str, User]]:
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
    return admin, agents


async def _seed_groups(admin: User, ids: dict[str, int], region: str) -> dict[str, int]:
    """Three queues with different strategies; returns their ids by number."""

    def members(number: str) -> list[dict[str, Any]]:
        return [{"user_id": ids[x], "penalty": n // 3}
                for n, x in enumerate(GROUP_MEMBERS[number])]

    sales = await groups.create_group(groups.NewGroup.model_validate({
        "name": "Ventes", "number": "100", "strategy": "longest_idle",
        "description": "Prospects et nouvelles commandes", "ring_timeout_s": 15,
        "wrapup_s": 5, "autopause_after": 3, "members": members("100")}),
        actor=admin, region=region, ip="demo")
    support = await groups.create_group(groups.NewGroup.model_validate({
        "name": "Support", "number": "200", "strategy": "fewest_calls",
        "description": "Assistance technique", "ring_timeout_s": 15, "wrapup_s": 10,
        "max_wait_s": 180, "overflow_kind": "group", "overflow_target": str(sales.id),
        "service_level_s": 30, "recording": "on_demand", "members": members("200")}),
        actor=admin, region=region, ip="demo")
    vip = await groups.create_group(groups.NewGroup.model_validate({
        "name": "VIP", "number": "300", "strategy": "penalty",
        "description": "Grands comptes", "ring_timeout_s": 20, "wrapup_s": 15,
        "sticky_s": 60, "max_wait_s": 120, "overflow_kind": "goodbye",
        "service_level_s": 15, "recording": "all", "members": members("300")}),
        actor=admin, region=region, ip="demo")
    return {"100": sales.id, "200": support.id, "300": vip.id}


async def _seed_reference(admin: User) -> None:
    for position, (code, label, label_fr) in enumerate(PAUSE_REASONS):
        await reference.create_entry("pause_reason", reference.NewEntry(
            code=code, label=label, label_fr=label_fr, position=position), actor=admin,
            ip="demo")
    for position, (code, label, label_fr) in enumerate(DISPOSITIONS):
        await reference.create_entry("disposition", reference.NewEntry(
            code=code, label=label, label_fr=label_fr, position=position), actor=admin,
            ip="demo")


async def _backdate(tz: ZoneInfo, days: int) -> None:
    """The seeded people, queues and clients existed before the history starts, so the
    audit log and the records do not say they were created after their first calls."""
    founded = datetime.combine(utcnow().astimezone(tz).date() - timedelta(days=days),
                               datetime.min.time(), tz).replace(hour=8)
    await AuditLog.filter(ip="demo").update(at=founded)
    for model in (User, Group, Client):
        await model.all().update(created_at=founded, updated_at=founded)


async def seed_history(
    agents: dict[str, User],
    group_ids: dict[str, int],
    tz: ZoneInfo,
    history_days: int,
    progress: Callable[[str], None],
) -> None:
    """Calls, agent states and client notes of the last ``history_days`` days up to now,
    then the statistics rollups rebuilt over them."""
    groups_by_id = {g.id: g for g in await Group.filter(id__in=list(group_ids.values()))}
    now = utcnow()
    today = now.astimezone(tz).date()
    # A person logging in as a human agent starts their day: "My day" counts only their calls.
    humans_stop = datetime.combine(today, datetime.min.time(), tz).timestamp()
    humans = {login for login, _, _ in HUMAN_AGENTS}
    plans = []
    for login, user in agents.items():
        start_h, weekends = SHIFTS[login]
        member_of = tuple(group_ids[n] for n, logins in GROUP_MEMBERS.items() if login in logins)
        plans.append(demo_history.AgentPlan(user.id, user.extension, member_of, start_h,
                                            weekends, humans_stop if login in humans else None))
    phones = await ClientPhone.all().order_by("id").values_list("number", "client_id")
    callers = [demo_history.Caller(number, client_id) for number, client_id in phones]
    random.Random(3).shuffle(callers)  # who calls most is not the first client created
    codes = await Disposition.all().order_by("position").values_list("id", "code")
    profile = demo_history.Profile(
        group_share={group_ids[n]: share for n, share in GROUP_SHARE.items()},
        wrapup_s={g.id: g.wrapup_s for g in groups_by_id.values()},
        ring_timeout_s={g.id: g.ring_timeout_s for g in groups_by_id.values()},
        max_wait_s={g.id: g.max_wait_s for g in groups_by_id.values()
                    if g.max_wait_s and g.overflow_kind == "goodbye"},
        pause_codes=tuple(code for code, *_ in PAUSE_REASONS),
        queue_wait_s=6.0, abandon_share=0.07,
        callers=callers, known_share=0.25, dispositions=codes, note_share=0.3,
    )
    conn = Tortoise.get_connection("default")
    # tortoise types flat values_list as tuples
    last_call = cast("list[int]", await Call.all().order_by("-id").limit(1)
                     .values_list("id", flat=True))
    last_offer = cast("list[int]", await Offer.all().order_by("-id").limit(1)
                      .values_list("id", flat=True))
    gen = demo_history.HistoryGenerator(
        plans, tz, profile, mysql=conn.capabilities.dialect == "mysql", seed=20260102,
        first_call_id=(last_call or [0])[0] + 1, first_offer_id=(last_offer or [0])[0] + 1)
    first = today - timedelta(days=history_days)
    progress(f"seeding the call history of the last {history_days} days")
    # a minute of margin: nothing of the history may still be running when the ACD starts
    await demo_history.write_history(gen, first, today, until=now.timestamp() - 60,
                                     progress=progress)
    began = time.monotonic()
    await rebuild_rollups(first, today, tz)
    progress(f"statistics rebuilt over {history_days + 1} days "
             f"in {time.monotonic() - began:.1f} s")


def _fake_client(rng: random.Random, n: int) -> dict[str, Any]:
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


async def group_names() -> dict[str, str]:
    """The demo groups' names by number, as they are now (an admin may rename them)."""
    rows = await Group.filter(number__in=list(GROUP_SHARE)).values_list("number", "name")
    names = {str(number): str(name) for number, name in rows}
    return {number: names.get(number, number) for number in GROUP_SHARE}


async def known_numbers(limit: int = 200) -> list[str]:
    """Client numbers the demo's callers use, so screen pops find real records."""
    rows = await Client.all().limit(limit).prefetch_related("phones")
    return [phone.number for client in rows for phone in client.phones][:limit]
