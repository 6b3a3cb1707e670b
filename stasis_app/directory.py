"""The caller lookup the ACD does before queuing a call: which client, which agent first (B10).

Several clients may share a number: the call is then left unattached (the agent picks one
in the screen pop) and no preferred agent is used.
"""

from __future__ import annotations

from crm.clients import caller_lookup


class CrmDirectory:
    def __init__(self, region: str) -> None:
        self._region = region

    async def lookup(self, caller_number: str) -> tuple[int | None, int | None]:
        client_ids, preferred = await caller_lookup(caller_number, self._region)
        if len(client_ids) != 1:
            return None, None
        return client_ids[0], preferred
