"""Phone numbers normalized to E.164 (B5), so a caller matches however a number was typed."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


class InvalidPhoneNumber(ValueError):
    pass


def normalize(raw: str, region: str = "FR") -> str:
    """E.164 form of ``raw``; raises InvalidPhoneNumber with a message a person can act on."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("the phone number is empty")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(f"{raw!r} is not a phone number") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_or_none(raw: str, region: str = "FR") -> str | None:
    """For caller ids, which may be anonymous, internal extensions or garbage."""
    try:
        return normalize(raw, region)
    except InvalidPhoneNumber:
        return None


@lru_cache(maxsize=8192)
def display(number: str, region: str) -> str:
    """A number as the call centre writes it, everywhere it is shown: national format for
    numbers of the centre's own region (``06 53 42 80 01`` in France), international for
    the others (``+44 20 7946 0958``). What is not a phone number (an internal extension,
    "anonymous") is shown as it came."""
    text = (number or "").strip()
    if not text:
        return ""
    candidate = "+" + text[2:] if text.startswith("00") else text
    try:
        parsed = phonenumbers.parse(candidate, region.upper())
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(parsed):
        return text
    if phonenumbers.region_code_for_number(parsed) == region.upper():
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
