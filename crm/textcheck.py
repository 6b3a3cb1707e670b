"""Free text that is shown to other people (token names, in lists and the audit log) must not
carry characters that hide or rewrite what is displayed next to it."""

from __future__ import annotations

import unicodedata

from crm.errors import N_

# Control (Cc: NUL, ESC, newline...), format (Cf: bidi overrides, zero-width), line and
# paragraph separators, unassigned and private-use code points.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in text)


def check_printable(text: str) -> str:
    if has_control_characters(text):
        raise ValueError(N_("must not contain control or invisible characters"))
    return text
