"""Phone numbers normalized to E.164 (B5), so a caller matches however a number was typed."""

from __future__ import annotations

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


def display(e164: str) -> str:
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
