"""Typed keys for everything stored on the aiohttp application.

HUB_KEY and RUNTIME_KEY are placeholders for services the composition root
(``prowebcrm.server``) plugs in (the in-process event hub and the ARI/ACD runtime); they hold
None until then so ``app[KEY]`` never raises.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from prowebcrm.settings import Settings
from web.security.ratelimit import LoginThrottle

SETTINGS_KEY = web.AppKey("settings", Settings)
LOGIN_THROTTLE_KEY = web.AppKey("login_throttle", LoginThrottle)
# web.security.login.LoginAudit (typed loosely: that module imports this one)
LOGIN_AUDIT_KEY = web.AppKey("login_audit", Any)
# The in-process event hub (publish/subscribe of typed events); set by whoever creates it.
HUB_KEY = web.AppKey("hub", Any)
# The ARI/ACD runtime (stasis_app), set by the composition root's ACD cleanup context;
# None while this process stands by.
RUNTIME_KEY = web.AppKey("runtime", Any)
# Other per-process services, by name, so adding one does not touch this module.
SERVICES_KEY = web.AppKey("services", dict)
