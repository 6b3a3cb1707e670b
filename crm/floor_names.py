"""The names a live floor view needs beside the ACD's ids: every user who can take calls and
every group, read once per snapshot."""

from __future__ import annotations

from typing import Any

from crm.models import Group, Role, User


async def floor_names() -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(agents by id: name, login, role; groups by id: name), ids as strings (JSON keys)."""
    agents = await User.filter(role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN]).values(
        "id", "name", "login", "role")
    groups = await Group.all().values("id", "name")
    return (
        {str(a["id"]): {"name": a["name"], "login": a["login"], "role": str(a["role"])}
         for a in agents},
        {str(g["id"]): g["name"] for g in groups},
    )
