"""Typed keys for everything stored on the aiohttp application.

HUB_KEY and RUNTIME_KEY are placeholders for services the lead plugs in (the in-process event
hub and the ARI/ACD runtime); they hold None until then so ``app[KEY]`` never raises.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm.settings import Settings
from web.security.ratelimit import LoginThrottle

SETTINGS_KEY = web.AppKey("settings", Settings)
LOGIN_THROTTLE_KEY = web.AppKey("login_throttle", LoginThrottle)
# web.security.login.LoginAudit (typed loosely: that module imports this one)
LOGIN_AUDIT_KEY = web.AppKey("login_audit", Any)
# The in-process event hub (publish/subscribe of typed events); set by whoever creates it.
HUB_KEY = web.AppKey("hub", Any)
# The ARI/ACD runtime (stasis_app), set by the lead's cleanup context.
RUNTIME_KEY = web.AppKey("runtime", Any)
# Anything else the lead adds later, by name, without touching this module.
SERVICES_KEY = web.AppKey("services", dict)
