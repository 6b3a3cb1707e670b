"""The texts the console's scripts (web/static/js/console/) show, translated on the server
(B7): the page embeds them as JSON so the scripts need no catalog of their own. Keys are the
English msgids, except:
- ``state:``, ``phone:``, ``direction:``, ``field:`` + the engine's or the API's value;
- ``error:`` + an API error code (the ACD's refusals are technical English: the agent reads
  a sentence of their own language instead);
- ``err:`` + an English message the JSON API answers with (the API speaks English to
  integrators; the page translates it, ``{name}`` parts included).
"""

from __future__ import annotations

from collections.abc import Callable

from crm.errors import N_
from web.i18n import gettext, ngettext
from web.reasons import SYSTEM_REASONS

MESSAGES = (
    N_("%(rows)s rows, %(errors)s with errors, %(dups)s duplicates by phone."),
    N_("(hidden number)"), N_("(no name)"), N_("Agent"), N_("Call this number"), N_("Call"),
    N_("Choose a file first."), N_("Client"), N_("Date"), N_("Extension %(ext)s"),
    N_("Group %(name)s"),
    N_("Imported: %(created)s created, %(merged)s merged, %(skipped)s skipped."),
    N_("Known number"), N_("Line"), N_("New client"), N_("No client found."),
    N_("No intervention yet."), N_("Outcome"), N_("Phone numbers"), N_("Problems"),
    N_("Remove this number"), N_("Remove this number?"),
    N_("This is the caller: attach the number"), N_("Unknown caller"),
    N_("number already on client(s) %(ids)s"),
    # the call card and the wrap-up (issue 14)
    N_("Known number (%(count)s clients)"), N_("Incoming call"), N_("Outgoing call"),
    N_("Ringing"), N_("Your phone is ringing: pick it up to call"),
    N_("Extend (+%(time)s)"),
    N_("The wrap-up reached its time limit: what you wrote was saved."),
    N_("pause after this call"), N_("logout after this call"),
    # phone state (issue 12)
    N_("Your phone is unreachable: no call is offered to you until it is registered again."),
    N_("Your phone is busy with another call: calls are offered again once it is free."),
    N_("same number as line %(line)s"), N_("waited %(time)s"), N_("— choose —"),
    N_("transferred by %(name)s"), N_("%(name)s is consulting you before a transfer"),
    # B9: a recording that failed
    N_("Recording failed: %(error)s"), N_("Download"), N_("Failed: %(error)s"),
    N_("Recording…"),
    # supervisor.action notices
    N_("A supervisor"), N_("Dismiss"), N_("an agent"), N_("a group"),
    N_("the group %(name)s"),
    N_("%(name)s sent your call back to the queue."),
    N_("%(name)s hung up your call."),
    N_("%(name)s transferred your call to %(target)s."),
    N_("%(name)s paused you (%(reason)s)."),
    N_("%(name)s logged you out of the call distribution."),
    N_("%(name)s is whispering to you on this call."),
    N_("%(name)s joined your call."),
    N_("%(name)s acted on your call or status."),
)
STATES = {
    "logged_out": N_("Logged out"), "available": N_("Available"), "paused": N_("Paused"),
    "ringing": N_("Ringing"), "on_call": N_("On a call"), "wrapup": N_("Wrap-up"),
}
PHONE_STATES = {
    "idle": N_("idle"), "ringing": N_("ringing"), "in_call": N_("in a call"),
    "absent": N_("no phone"),
}
DIRECTIONS = {"inbound": N_("incoming"), "outbound": N_("outgoing")}
# Pause reasons the system sets itself (not in the admin's list).
REASONS = SYSTEM_REASONS
FIELDS = {
    "first_name": N_("First name"), "last_name": N_("Last name"), "company": N_("Company"),
    "email": N_("E-mail"), "address": N_("Address"), "postal_code": N_("Postal code"),
    "city": N_("City"), "country": N_("Country (2 letters)"), "remarks": N_("Remarks"),
    "phones": N_("Phone numbers"), "phone": N_("Phone number"),
}
ERROR_CODES = {
    "acd_unavailable": N_("The call distribution is not running."),
    "agent_busy": N_("You can place a call only when available or paused."),
    "agent_not_logged_in": N_("Log in to the call distribution first."),
    "not_logged_in": N_("Log in to the call distribution first."),
    "already_logged_in": N_("You are already logged in to the call distribution."),
    "bad_number": N_("This number cannot be dialled."),
    "bad_state": N_("The call cannot do that in its current state."),
    "no_call": N_("You have no call in progress."),
    "no_extension": N_("Give your phone extension."),
    "not_consulting": N_("You are not consulting anybody."),
    "not_in_wrapup": N_("You are not in wrap-up."),
    "not_paused": N_("You are not paused."),
    "not_your_call": N_("You are not talking on this call."),
    "nothing_to_reject": N_("There is no ringing call to reject."),
    "same_agent": N_("You cannot transfer a call to yourself."),
    "unknown_call": N_("This call is over."),
    "unknown_group": N_("This group does not exist or is not active."),
    "on_call": N_("You are on a call: finish it (and its wrap-up) before logging out."),
    "no_phone": N_("No simulated phone on this extension."),
    "phone_refused": N_("The phone cannot do that now."),
    "outcome_required": N_("This group requires a call outcome: choose one to finish."),
    "wrapup_limit": N_("The wrap-up has reached its 10 minutes: it cannot be extended."),
    "network": N_("The server cannot be reached: check the network and try again."),
    "already_held": N_("The caller is already on hold."),
    "not_held": N_("The caller is not on hold."),
    "unsupported": N_("This call cannot do that."),
    "bad_digits": N_("Keypad tones: 1 to 32 of 0-9, *, #, A-D."),
    "no_far_end": N_("Nobody on the line can receive the tones now."),
}
# English messages of the JSON API (crm errors, request validation, this console's API).
SERVER_MESSAGES = (
    N_("some fields are invalid"), N_("this field is required"), N_("unknown field"),
    N_("at least {min_length} characters"), N_("at most {max_length} characters"),
    N_("contains characters that are not allowed"), N_("must be a whole number"),
    N_("must be at least {ge}"), N_("must be at most {le}"), N_("must be one of {expected}"),
    N_("malformed JSON"),
    N_("not a valid e-mail address"), N_("not a two-letter country code such as FR or GB"),
    N_("must not be null"), N_("not a valid phone number"),
    N_("this number is already listed above"), N_("give a last name or a company"),
    N_("client {id} does not exist"), N_("phone {id} is not on client {client_id}"),
    N_("the number {number} is already on this client"),
    N_("this number is already on this client"), N_("not an active agent"),
    N_("not an active disposition"), N_("the note is too long"),
    N_("the file has errors ({count} rows); nothing was imported"),
    N_("the file has errors; nothing was imported"), N_("the file is empty"),
    N_("no column was recognized; the first line must name the columns (e.g. last_name, "
       "company, phone)"),
    N_("too many rows: split the file"),
    N_("not an active pause reason"), N_("choose a pause reason"),
    N_("must be the id of an agent or a group"), N_("you cannot transfer a call to yourself"),
    N_("pick or create the client record the note goes on"),
    N_("this call is not one of yours"), N_("no such note (the call may be over)"),
    N_("attended transfer to a group: use a blind one"),
    N_("click-to-call calls cannot be transferred"),
    N_("choose the call's outcome"), N_("extension {extension} is in use by {name}"),
    N_("you are not in wrap-up"), N_("the wrap-up cannot last longer"),
)


def count_labels() -> dict[str, list[str]]:
    """Labels shown over a count, in their singular and plural forms: "1 Répondu" in
    French, not "1 Répondus" (the page picks the form with Intl.PluralRules)."""
    # Their own msgids: a plural entry named like a plain label ("Missed") would answer
    # gettext("Missed") with its singular form.
    forms: dict[str, Callable[[int], str]] = {
        "Received": lambda n: ngettext("call received", "calls received", n),
        "Answered": lambda n: ngettext("call answered", "calls answered", n),
        "Rejected": lambda n: ngettext("call rejected", "calls rejected", n),
        "Missed": lambda n: ngettext("call missed", "calls missed", n),
        "Transferred": lambda n: ngettext("call transferred", "calls transferred", n),
        "Calls placed": lambda n: ngettext("call placed", "calls placed", n),
        "Calls handled": lambda n: ngettext("call handled", "calls handled", n),
    }
    return {f"plural:{key}": [form(1), form(2)] for key, form in forms.items()}


def js_messages() -> dict[str, str | list[str]]:
    """The messages in the request's language (the auth middleware has set it)."""
    out: dict[str, str | list[str]] = {msgid: gettext(msgid) for msgid in MESSAGES}
    for prefix, table in (("state", STATES), ("phone", PHONE_STATES),
                          ("direction", DIRECTIONS), ("reason", REASONS), ("field", FIELDS),
                          ("error", ERROR_CODES)):
        out.update({f"{prefix}:{k}": gettext(v) for k, v in table.items()})
    out.update({f"err:{msgid}": gettext(msgid) for msgid in SERVER_MESSAGES})
    out.update(count_labels())
    return out
