"""The audit log as people read it (B8, B7): each action by a sentence in the user's
language rather than its code (``user.create``), each target by its name rather than
"user 11". The codes stay in the data (and in a tooltip) for whoever searches by them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from crm.errors import N_
from crm.models import ApiToken, Client, Disposition, Group, PauseReason, User
from crm.reference import label_in
from web.i18n import current_language, gettext

AUDIT_LABELS: dict[str, str] = {
    "auth.login": N_("Signed in"), "auth.logout": N_("Signed out"),
    "auth.login_failed": N_("Failed login"), "auth.login_blocked": N_("Login blocked"),
    "user.create": N_("User created"), "user.update": N_("User changed"),
    "user.deactivate": N_("User deactivated"), "user.delete": N_("User deleted"),
    "group.create": N_("Group created"), "group.update": N_("Group changed"),
    "group.deactivate": N_("Group deactivated"), "group.delete": N_("Group deleted"),
    "token.create": N_("API token created"), "token.revoke": N_("API token revoked"),
    "pause_reason.create": N_("Pause reason created"),
    "pause_reason.update": N_("Pause reason changed"),
    "pause_reason.deactivate": N_("Pause reason deactivated"),
    "pause_reason.delete": N_("Pause reason deleted"),
    "disposition.create": N_("Call outcome created"),
    "disposition.update": N_("Call outcome changed"),
    "disposition.deactivate": N_("Call outcome deactivated"),
    "disposition.delete": N_("Call outcome deleted"),
    "client.create": N_("Client created"), "client.update": N_("Client record changed"),
    "client.intervention": N_("Intervention written"),
    "client.intervention_edit": N_("Intervention corrected"),
    "client.attach_number": N_("Number attached to a client"),
    "client.add_phone": N_("Number added to a client"),
    "client.remove_phone": N_("Number removed from a client"),
    "client.import": N_("Clients imported"), "client.export": N_("Clients exported"),
    "supervision.reject": N_("Call sent back to the queue by a supervisor"),
    "supervision.hangup": N_("Call hung up by a supervisor"),
    "supervision.transfer": N_("Call transferred by a supervisor"),
    "supervision.pause": N_("Paused by a supervisor"),
    "supervision.logout": N_("Logged out by a supervisor"),
    "supervision.whisper": N_("Supervisor whispering"),
    "supervision.barge": N_("Supervisor barging in"),
    "supervision.listen": N_("Supervisor listening"),
    "supervision.spy_stop": N_("Supervisor stopped listening"),
    "demo.traffic": N_("Demo traffic changed"), "demo.burst": N_("Demo burst of calls"),
}
TARGET_TYPES: dict[str, str] = {
    "user": N_("User"), "group": N_("Group"), "client": N_("Client"), "token": N_("API token"),
    "pause_reason": N_("Pause reason"), "disposition": N_("Call outcome"), "call": N_("Call"),
    "spy": N_("Listening"),
}


def action_label(action: str) -> str:
    label = AUDIT_LABELS.get(action)
    return gettext(label) if label else action


async def _names(wanted: dict[str, set[int]], language: str) -> dict[tuple[str, int], str]:
    found: dict[tuple[str, int], str] = {}
    if wanted.get("user"):
        for u in await User.filter(id__in=wanted["user"]).only("id", "name", "login"):
            found["user", u.id] = f"{u.name} ({u.login})"
    if wanted.get("group"):
        for g in await Group.filter(id__in=wanted["group"]).only("id", "name"):
            found["group", g.id] = g.name
    if wanted.get("client"):
        for c in await Client.filter(id__in=wanted["client"]).only(
                "id", "first_name", "last_name", "company"):
            name = " ".join(p for p in (c.first_name, c.last_name) if p) or c.company
            found["client", c.id] = name or f"#{c.id}"
    if wanted.get("token"):
        for t in await ApiToken.filter(id__in=wanted["token"]).only("id", "name"):
            found["token", t.id] = t.name
    for kind, model in (("pause_reason", PauseReason), ("disposition", Disposition)):
        if wanted.get(kind):
            for e in await model.filter(id__in=wanted[kind]):
                found[kind, e.id] = label_in(e, language)
    return found


async def audit_rows(entries: list[Any]) -> list[dict[str, Any]]:
    """The template's view of audit entries: labels and names in the user's language."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in entries:
        if e.target_type and str(e.target_id).isdigit():
            wanted[e.target_type].add(int(e.target_id))
    names = await _names(wanted, current_language())
    rows = []
    for e in entries:
        target = ""
        if e.target_type:
            kind = gettext(TARGET_TYPES[e.target_type]) if e.target_type in TARGET_TYPES \
                else e.target_type
            key = (e.target_type, int(e.target_id)) if str(e.target_id).isdigit() else None
            detail = e.details.get("login") or e.details.get("name") or e.details.get("code") \
                if isinstance(e.details, dict) else None
            name = names.get(key) if key else None
            target = gettext("%(kind)s: %(name)s") % {
                "kind": kind, "name": name or detail or f"#{e.target_id}"}
        rows.append({"at": e.at, "actor_login": e.actor_login, "action": e.action,
                     "action_label": action_label(e.action), "target": target,
                     "details": e.details, "ip": e.ip})
    return rows
