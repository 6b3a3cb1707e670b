"""Typed keys for everything stored on the aiohttp application.

HUB_KEY and RUNTIME_KEY hold services the composition root (prowebcrm.server) plugs in: the
event hub and the ACD's service. They hold None until then, so ``app[KEY]`` never raises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from crm.hub import Hub
from crm.settings import Settings
from stasis_app.service import AcdService
from web.security.ratelimit import LoginThrottle

if TYPE_CHECKING:  # that module imports this one: for the checker only
    from web.security.login import LoginAudit

SETTINGS_KEY = web.AppKey("settings", Settings)
LOGIN_THROTTLE_KEY = web.AppKey("login_throttle", LoginThrottle)
LOGIN_AUDIT_KEY: web.AppKey[LoginAudit] = web.AppKey("login_audit")
# The in-process event hub (publish/subscribe of typed events); None until the composition
# root sets it.
HUB_KEY: web.AppKey[Hub | None] = web.AppKey("hub")
# The ACD's service while this process holds the ACD; None without an ARI or on stand-by
# (the ACD's pages and API then answer 503).
RUNTIME_KEY: web.AppKey[AcdService | None] = web.AppKey("runtime")
# Anything else the composition root adds (the demo's world, test knobs), by name.
SERVICES_KEY: web.AppKey[dict[str, Any]] = web.AppKey("services")
