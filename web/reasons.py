"""Pause reasons as people read them (B4, B7): the administrators' list in the user's
language, and the reasons the system sets itself (auto-pause, a closed console page, a
supervisor's pause), which are codes in the agent states and the statistics."""

from __future__ import annotations

from crm.errors import N_
from crm.reference import labels
from stasis_app.acd.model import AUTO_PAUSE_REASON
from web.i18n import current_language, gettext

LOST_PAGE_REASON = "page closed"
SUPERVISOR_REASON = "supervisor"

SYSTEM_REASONS = {
    AUTO_PAUSE_REASON: N_("auto-pause: no answer"),
    LOST_PAGE_REASON: N_("console page closed"),
    SUPERVISOR_REASON: N_("supervisor"),
    "": N_("no reason given"),
}


async def reason_labels(language: str | None = None) -> dict[str, str]:
    """code → label for every pause reason a state or a report may name (inactive ones
    and the system's included), in ``language`` (the request's by default)."""
    language = language or current_language()
    out = {code: gettext(label) for code, label in SYSTEM_REASONS.items()}
    out.update(await labels("pause_reason", language))
    return out
