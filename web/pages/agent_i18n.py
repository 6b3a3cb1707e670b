"""The texts agent.js shows, translated on the server (B7): the page embeds them as JSON so
the script needs no catalog of its own. Keys are the English msgids, except the state and
phone names, whose keys are the engine's values."""

from __future__ import annotations

from crm.errors import N_
from web.i18n import gettext

MESSAGES = (
    N_("%(rows)s rows, %(errors)s with errors, %(dups)s duplicates by phone."),
    N_("(hidden number)"), N_("(no name)"), N_("Agent"), N_("Call this number"), N_("Call"),
    N_("Choose a file first."), N_("Client"), N_("Date"), N_("Extension %(ext)s"),
    N_("Group %(name)s"),
    N_("Imported: %(created)s created, %(merged)s merged, %(skipped)s skipped."),
    N_("Known number"), N_("Line"), N_("New client"), N_("No client found."),
    N_("No intervention yet."), N_("Outcome"), N_("Phone numbers"), N_("Problems"),
    N_("Remove this number"), N_("Remove this number?"), N_("Ringing: "),
    N_("This is the caller: attach the number"), N_("Unknown caller"),
    N_("number already on client(s) %(ids)s"), N_("outgoing call"),
    N_("pause after this call"), N_("same number as line %(line)s"), N_("waited %(time)s"),
    N_("— choose —"),
)
STATES = {
    "logged_out": N_("Logged out"), "available": N_("Available"), "paused": N_("Paused"),
    "ringing": N_("Ringing"), "on_call": N_("On a call"), "wrapup": N_("Wrap-up"),
}
PHONE_STATES = {
    "idle": N_("idle"), "ringing": N_("ringing"), "in_call": N_("in a call"),
    "absent": N_("no phone"),
}


def js_messages() -> dict[str, str]:
    """The messages in the request's language (the auth middleware has set it)."""
    out = {msgid: gettext(msgid) for msgid in MESSAGES}
    out.update({f"state:{k}": gettext(v) for k, v in STATES.items()})
    out.update({f"phone:{k}": gettext(v) for k, v in PHONE_STATES.items()})
    return out
