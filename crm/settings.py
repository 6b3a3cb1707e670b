"""The settings every layer reads: one frozen value, built and checked by the composition root.

It lives in the lowest layer so that web and stasis_app can take it without importing
``prowebcrm`` (which imports them): reading the environment and the TOML file, and every
check, stay in ``prowebcrm.settings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crm.dialstrings import DEFAULT_EXTENSION_PATTERN


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    ari_url: str = ""
    ari_user: str = ""
    ari_password: str = ""
    ari_app: str = "prowebcrm"
    agent_dial: str = "PJSIP/{extension}"
    outbound_dial: str = "PJSIP/{number}@trunk"
    # What an agent or a supervisor may give as their phone's extension (crm.dialstrings).
    extension_pattern: str = DEFAULT_EXTENSION_PATTERN
    outbound_caller_id: str = ""
    default_region: str = "FR"
    timezone: str = "Europe/Paris"
    service_level_s: int = 20
    short_abandon_s: int = 5
    login_attempts_per_minute: int = 5
    # Failed logins at one account from all addresses together, per 15 minutes.
    login_attempts_per_account: int = 10
    # The call journal's spool (data_dir/journal) while the database is away: past this,
    # facts are kept in memory only (and said loudly).
    journal_spool_max_mb: int = 256
    # How often the ACD compares itself with Asterisk's channels and bridges and repairs both
    # (missed hang-ups, forgotten callers, stray legs). Events keep it right between sweeps.
    sweep_interval_s: int = 30
    # The event loop of `prowebcrm serve`: "uvloop" (libuv; about a sixth less CPU per call
    # on the ACD's ARI traffic, measured on the real Asterisk) or "asyncio" (the standard one).
    event_loop: str = "uvloop"
    # B9: where Asterisk writes call recordings (its spool's recording folder; the app reads
    # the files there to play them) and how many days they are kept (0: forever).
    recordings_dir: str = "/var/spool/asterisk/recording"
    recording_retention_days: int = 90
    cookie_secure: bool = False
    demo: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def ari_configured(self) -> bool:
        return bool(self.ari_url)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
