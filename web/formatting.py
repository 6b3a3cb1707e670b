"""One way to write phone numbers, durations, numbers and percentages, on every page (B7).

The browser side of the same rules is ``web/static/js/lib/core.js``: durations and numbers
are formatted there with the same patterns (``Intl`` follows the same CLDR data as Babel);
phone numbers are always formatted here, on the server, and travel as ``*_display`` fields,
because the numbering plans of the world do not fit in a small script.
"""

from __future__ import annotations

import math
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, format_percent

from crm.phones import display

# The one phone number formatter lives with the phone numbers (crm.phones): pages, the JSON
# API and the live events all go through it.
phone_display = display


def duration(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` from an hour on (hours unbounded in totals);
    ``–`` when there is nothing to show."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def number(value: float | None, language: str, digits: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=language)


@lru_cache(maxsize=8)
def _percent_pattern(language: str) -> str:
    # The language's own percent pattern (where the sign goes, which space) with one decimal.
    pattern: str = Locale.parse(language).percent_formats[None].pattern
    return pattern.replace("0%", "0.0%").replace("0\xa0%", "0.0\xa0%").replace(
        "0\u202f%", "0.0\u202f%")


def percent(value: float | None, language: str) -> str:
    """``value`` in percent (0–100), one decimal, as the language writes it."""
    if value is None:
        return "–"
    return format_percent(value / 100, format=_percent_pattern(language), locale=language)
