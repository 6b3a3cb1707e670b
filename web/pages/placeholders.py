"""Landing pages of the supervisor and agent roles, until those features arrive.

They say plainly that the feature is not built yet; the supervision and agent-console work
replaces these two handlers.
"""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
