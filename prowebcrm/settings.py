"""Settings: environment variables, an optional TOML file, safe defaults.

Precedence: environment > config file (``PROWEBCRM_CONFIG`` or ``--config``) > defaults.
The value itself (:class:`Settings`) is defined in ``crm.settings``, below the layers that
read it; this module reads and checks it. Anything wrong raises :class:`SettingsError` with
one line a person can act on; the CLI prints that line and exits instead of showing a
traceback.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from crm.dialstrings import CALLER_ID_PATTERN, pattern_problem
from crm.settings import Settings

__all__ = ["ENV_PREFIX", "Settings", "SettingsError", "load_settings"]

ENV_PREFIX = "PROWEBCRM_"


class SettingsError(Exception):
    """A setting is missing, malformed or unusable; the message is shown as is."""


_INT_FIELDS = {"port", "service_level_s", "short_abandon_s", "login_attempts_per_minute",
               "login_attempts_per_account", "journal_spool_max_mb", "sweep_interval_s",
               "recording_retention_days"}
_BOOL_FIELDS = {"cookie_secure", "demo"}
_NAMES = [f for f in Settings.__dataclass_fields__ if f != "extra"]


def load_settings(
    env: dict[str, str] | None = None,
    config_file: str | Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build validated settings; creates the data directory and the secret key if needed."""
    env = dict(os.environ if env is None else env)
    raw: dict[str, Any] = {}
    config_file = config_file or env.get(ENV_PREFIX + "CONFIG")
    if config_file:
        raw.update(_read_config_file(Path(config_file)))
    for name in _NAMES:
        value = env.get(ENV_PREFIX + name.upper())
        if value is not None and value != "":
            raw[name] = value
    raw.update({k: v for k, v in overrides.items() if v is not None})
    values = {name: _coerce(name, value) for name, value in raw.items() if name in _NAMES}
    settings = Settings(**values)
    return _complete(settings)


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    section: dict[str, Any] = data.get("prowebcrm", data)
    unknown = sorted(set(section) - set(_NAMES))
    if unknown:
        raise SettingsError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    return section


def _coerce(name: str, value: Any) -> Any:
    if name in _INT_FIELDS:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SettingsError(
                f"{ENV_PREFIX}{name.upper()} must be a whole number, got {value!r}"
            ) from None
    if name in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"1", "true", "yes", "on"}
    if name == "data_dir":
        return Path(value)
    return str(value)


def _complete(settings: Settings) -> Settings:
    data_dir = settings.data_dir.expanduser().resolve()
    try:
        if not data_dir.exists():
            # It holds the secret key and, by default, the database: for our eyes only.
            data_dir.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise SettingsError(f"cannot create data directory {data_dir}: {exc.strerror}") from None
    database_url = settings.database_url or f"sqlite://{data_dir / 'prowebcrm.sqlite3'}"
    _check_database_url(database_url)
    secret_key = settings.secret_key or _stored_secret_key(data_dir)
    _check_secret_key(secret_key)
    _check_port(settings.port)
    _check_timezone(settings.timezone)
    _check_region(settings.default_region)
    _check_thresholds(settings.service_level_s, settings.short_abandon_s)
    if not 1 <= settings.sweep_interval_s <= 3600:
        raise SettingsError(f"PROWEBCRM_SWEEP_INTERVAL_S must be 1..3600 seconds, not "
                            f"{settings.sweep_interval_s}")
    if not 0 <= settings.recording_retention_days <= 36500:
        raise SettingsError(f"{ENV_PREFIX}RECORDING_RETENTION_DAYS must be 0 (keep forever) to "
                            f"36500 days, not {settings.recording_retention_days}")
    if settings.event_loop not in ("uvloop", "asyncio"):
        raise SettingsError(f'{ENV_PREFIX}EVENT_LOOP must be "uvloop" or "asyncio", not '
                            f"{settings.event_loop!r}")
    if settings.ari_url:
        _check_ari_url(settings.ari_url)
    for name in ("agent_dial", "outbound_dial"):
        template = getattr(settings, name)
        placeholder = "{extension}" if name == "agent_dial" else "{number}"
        if placeholder not in template:
            raise SettingsError(
                f"{ENV_PREFIX}{name.upper()} must contain {placeholder}, got {template!r}"
            )
    if settings.outbound_caller_id and not re.fullmatch(CALLER_ID_PATTERN,
                                                        settings.outbound_caller_id):
        raise SettingsError(f'{ENV_PREFIX}OUTBOUND_CALLER_ID must be a number (digits, optional '
                            f'leading +) or "Name" <number>, not {settings.outbound_caller_id!r}')
    problem = pattern_problem(settings.extension_pattern)
    if problem:
        raise SettingsError(f"{ENV_PREFIX}EXTENSION_PATTERN {settings.extension_pattern!r} "
                            f"{problem}")
    return settings.with_(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secret_key,
        default_region=settings.default_region.upper(),
    )


def _check_database_url(url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "mysql"}:
        raise SettingsError(
            f"{ENV_PREFIX}DATABASE_URL must start with sqlite:// or mysql://, got {url!r}"
        )
    if scheme == "mysql" and not urlsplit(url).path.strip("/"):
        raise SettingsError(
            f"{ENV_PREFIX}DATABASE_URL needs a database name, e.g. "
            "mysql://user:pass@127.0.0.1:3306/prowebcrm"
        )
    # The MariaDB driver is an optional extra: say so at start-up, not at the first query.
    if scheme == "mysql" and importlib.util.find_spec("aiomysql") is None:
        raise SettingsError(
            f"{ENV_PREFIX}DATABASE_URL is a mysql:// address but the MariaDB driver is not "
            'installed: pip install "prowebcrm[mariadb]"'
        )


def _stored_secret_key(data_dir: Path) -> str:
    """The session key must survive restarts (or every login is lost), so keep it on disk."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _check_secret_key(key: str) -> None:
    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise SettingsError(
            f"{ENV_PREFIX}SECRET_KEY must be 32 bytes in url-safe base64 (44 characters); "
            "leave it unset to have one generated in the data directory"
        )


def _check_port(port: int) -> None:
    if not 0 <= port <= 65535:
        raise SettingsError(f"{ENV_PREFIX}PORT must be between 0 and 65535, got {port}")


def _check_thresholds(service_level_s: int, short_abandon_s: int) -> None:
    # The statistics keep counts for these thresholds only (see crm.stats.rollups).
    from crm.stats.rollups import SHORT_ABANDON_THRESHOLDS, SL_THRESHOLDS

    for name, value, allowed in (("SERVICE_LEVEL_S", service_level_s, SL_THRESHOLDS),
                                 ("SHORT_ABANDON_S", short_abandon_s, SHORT_ABANDON_THRESHOLDS)):
        if value not in allowed:
            raise SettingsError(f"{ENV_PREFIX}{name} must be one of "
                                f"{', '.join(map(str, allowed))} (seconds), got {value}")


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{ENV_PREFIX}TIMEZONE {name!r} is not a known time zone") from None


def _check_region(region: str) -> None:
    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError(
            f"{ENV_PREFIX}DEFAULT_REGION {region!r} is not a two-letter region code like FR or US"
        )


def _check_ari_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(
            f"{ENV_PREFIX}ARI_URL must look like http://127.0.0.1:8088, got {url!r}"
        )
