"""B1 KPI formulas as pure functions. Each result carries its method and thresholds.

The method strings are English gettext msgids (the web layer translates them) with
``{t}`` / ``{short}`` placeholders filled from the thresholds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from crm.errors import N_

PERCENT = "percent"
SECONDS = "seconds"

METHODS: dict[str, str] = {
    "service_level": N_(
        "Calls answered within {t} s of entering the queue ÷ (calls answered + calls "
        "abandoned after waiting {short} s or more). Calls abandoned sooner, and callers "
        "who reached the maximum wait (timed out or overflowed), are not counted."
    ),
    # The "KPIs per group" report and the wallboard: each call against its group's T.
    "service_level_own_t": N_(
        "Calls answered within their own group's threshold T ({t} s for calls without a "
        "group) ÷ (calls answered + calls abandoned after waiting {short} s or more). Calls "
        "abandoned sooner, and callers who reached the maximum wait (timed out or "
        "overflowed), are not counted."
    ),
    "asa": N_("Average speed of answer: total queue wait of answered calls ÷ answered calls."),
    "aht": N_(
        "Average handle time: (talk + hold + wrap-up time) ÷ calls handled (answered calls "
        "that ended)."
    ),
    "abandon_rate": N_(
        "Calls abandoned after waiting {short} s or more ÷ calls that entered a queue "
        "(short abandons are not counted as abandoned but stay in the queued calls, as do "
        "callers who reached the maximum wait: timed out or overflowed)."
    ),
    "occupancy": N_(
        "Time on call and in wrap-up ÷ (that time + time available waiting for a call, "
        "ringing included), from the agent states. Pauses and logged-out time are excluded. "
        "Hold time is part of the time on call."
    ),
}

LABELS: dict[str, str] = {
    "service_level": N_("Service level"),
    "asa": N_("Average speed of answer"),
    "aht": N_("Average handle time"),
    "abandon_rate": N_("Abandon rate"),
    "occupancy": N_("Occupancy"),
}


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    value: float | None  # None when nothing was measured (denominator 0)
    unit: str  # PERCENT (0–100) or SECONDS
    numerator: float
    denominator: float
    thresholds: dict[str, int] = field(default_factory=dict)
    method_key: str = ""  # another way of counting the same figure (METHODS key)

    @property
    def label(self) -> str:
        return LABELS[self.key]

    @property
    def method_template(self) -> str:
        return METHODS[self.method_key or self.key]

    @property
    def method(self) -> str:
        """The method in English with the thresholds filled in."""
        return self.method_template.format(**self.thresholds)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(label=self.label, method=self.method, method_template=self.method_template)
        return data


def _ratio(num: float, den: float, percent: bool) -> float | None:
    if den <= 0:
        return None
    return (100.0 * num / den) if percent else num / den


def service_level(
    answered_within_t: int, answered: int, abandoned_long: int, t_s: int, short_abandon_s: int
) -> Kpi:
    den = answered + abandoned_long
    return Kpi(
        "service_level",
        _ratio(answered_within_t, den, True),
        PERCENT,
        answered_within_t,
        den,
        {"t": t_s, "short": short_abandon_s},
    )


def average_speed_of_answer(wait_answered_s: float, answered: int) -> Kpi:
    return Kpi("asa", _ratio(wait_answered_s, answered, False), SECONDS, wait_answered_s, answered)


def average_handle_time(talk_s: float, hold_s: float, wrapup_s: float, handled: int) -> Kpi:
    total = talk_s + hold_s + wrapup_s
    return Kpi("aht", _ratio(total, handled, False), SECONDS, total, handled)


def abandon_rate(abandoned_long: int, queued: int, short_abandon_s: int) -> Kpi:
    return Kpi(
        "abandon_rate",
        _ratio(abandoned_long, queued, True),
        PERCENT,
        abandoned_long,
        queued,
        {"short": short_abandon_s},
    )


def occupancy(handling_s: float, idle_s: float) -> Kpi:
    """handling_s: on call + wrap-up seconds. idle_s: available (and ringing) seconds."""
    return Kpi(
        "occupancy",
        _ratio(handling_s, handling_s + idle_s, True),
        PERCENT,
        handling_s,
        handling_s + idle_s,
    )
