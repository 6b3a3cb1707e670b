"""The dialplan the simulator emulates for Local channels.

Mirrors the extensions.conf the traces were recorded with (see
ari-traces/README.md): every context matches `_X.` (a digit then at least one
more character), so `Local/nosuchagent@agent-phones` fails like it did there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANSWER = "answer"  # Answer() then Wait(3600)
RING = "ring"  # Ringing() then Wait(3600)
STASIS_INBOUND = "stasis_inbound"  # priority 2: Stasis(<app>,inbound,${EXTEN})


@dataclass(frozen=True)
class Context:
    name: str
    kind: str
    pattern: str = "_X."

    def matches(self, exten: str) -> bool:
        return _pattern_regex(self.pattern).fullmatch(exten) is not None


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    if not pattern.startswith("_"):
        return re.compile(re.escape(pattern))
    out = []
    for ch in pattern[1:]:
        out.append(
            {
                "X": "[0-9]",
                "Z": "[1-9]",
                "N": "[2-9]",
                ".": ".+",
                "!": ".*",
            }.get(ch, re.escape(ch))
        )
    return re.compile("".join(out))


DEFAULT_CONTEXTS: tuple[Context, ...] = (
    Context("inbound", STASIS_INBOUND),
    Context("caller", ANSWER),
    Context("agent-phones", ANSWER),
    Context("agent-phones-noanswer", RING),
    Context("pstn", ANSWER),
)


class Dialplan:
    def __init__(self, contexts: tuple[Context, ...] = DEFAULT_CONTEXTS) -> None:
        self._contexts = {c.name: c for c in contexts}

    def lookup(self, context: str, exten: str) -> Context | None:
        ctx = self._contexts.get(context)
        if ctx is None or not ctx.matches(exten):
            return None
        return ctx

    def add(self, context: Context) -> None:
        self._contexts[context.name] = context

    def names(self) -> list[str]:
        return sorted(self._contexts)
