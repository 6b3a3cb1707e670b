"""What reports take and return: plain dataclasses the web layer serialises as it likes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from crm.stats.kpi import Kpi
from crm.stats.periods import Granularity, Interval

TEXT = "text"
INT = "int"
SECONDS = "seconds"
PERCENT = "percent"


@dataclass(frozen=True, slots=True)
class StatsConfig:
    """The call centre's time zone and the KPI thresholds (from the settings by default)."""

    tz: ZoneInfo
    service_level_s: int = 20
    short_abandon_s: int = 5

    @classmethod
    def from_settings(cls, settings: Any) -> StatsConfig:
        return cls(settings.tz, settings.service_level_s, settings.short_abandon_s)


@dataclass(frozen=True, slots=True)
class Filters:
    """Empty tuples mean "all". Call figures filter on the call's group and agent, agent
    state figures on the agent and on the *current* members of the groups."""

    group_ids: tuple[int, ...] = ()
    agent_ids: tuple[int, ...] = ()

    @classmethod
    def of(
        cls,
        group_ids: Iterable[int] | int | None = None,
        agent_ids: Iterable[int] | int | None = None,
    ) -> Filters:
        return cls(_ids(group_ids), _ids(agent_ids))


def _ids(value: Iterable[int] | int | None) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, int):
        return (value,)
    return tuple(sorted({int(v) for v in value}))


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str  # English msgid
    kind: str = INT  # TEXT, INT, SECONDS (float seconds) or PERCENT (0–100, None = n/a)


@dataclass(slots=True)
class Dataset:
    key: str
    label: str
    data: list[float | None]
    kind: str = INT  # unit of the values, as Column.kind


@dataclass(slots=True)
class Chart:
    labels: list[str]
    datasets: list[Dataset]
    type: str = "bar"  # a hint: "bar" or "line"


@dataclass(slots=True)
class Report:
    name: str
    title: str
    interval: Interval
    filters: Filters
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: Chart
    granularity: Granularity | None = None
    totals: dict[str, Any] | None = None
    kpis: list[Kpi] = field(default_factory=list)  # over the whole interval and filters
    thresholds: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # how the figures are counted (msgids)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["interval"] = {
            "from": self.interval.start.isoformat(),
            "to": self.interval.end.isoformat(),
        }
        data["kpis"] = [k.as_dict() for k in self.kpis]
        return data
