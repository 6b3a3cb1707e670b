"""docs/operations.md against the code: every setting is there under the name the code reads,
every ``PROWEBCRM_*`` name it gives exists, and the commands it quotes are real."""

from __future__ import annotations

import argparse
import re
from dataclasses import fields
from pathlib import Path

from prowebcrm.cli import build_parser
from prowebcrm.settings import ENV_PREFIX, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"
# Fields that are not settings an operator gives (filled by code, never read from the env).
NOT_FROM_ENV = {"extra"}


def _env_names() -> dict[str, str]:
    return {f.name: ENV_PREFIX + f.name.upper() for f in fields(Settings)
            if f.name not in NOT_FROM_ENV}


def test_every_setting_is_documented_under_the_name_the_code_reads(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, env in _env_names().items():
        assert f"`{env}`" in text, f"{env} ({name}) is not in docs/operations.md"
    # The names above are the ones load_settings really reads: change one through the
    # environment and see the field change.
    samples = {"port": "8099", "sweep_interval_s": "7", "cookie_secure": "true",
               "timezone": "UTC", "default_region": "US", "ari_app": "other-app"}
    env = {_env_names()[k]: v for k, v in samples.items()}
    env[ENV_PREFIX + "DATA_DIR"] = str(tmp_path)
    settings = load_settings(env)
    assert (settings.port, settings.sweep_interval_s, settings.cookie_secure, settings.timezone,
            settings.default_region, settings.ari_app) == (8099, 7, True, "UTC", "US",
                                                           "other-app")


def test_every_prowebcrm_name_on_the_page_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    known = set(_env_names().values()) | {ENV_PREFIX + "CONFIG"}
    # Names of the sample dialplan (globals and channel variables) exist there.
    config = "\n".join(p.read_text(encoding="utf-8")
                       for p in (ROOT / "asterisk-config").iterdir())
    known |= set(re.findall(r"PROWEBCRM_[A-Z_]+", config))
    mentioned = set(re.findall(r"PROWEBCRM_[A-Z_]+", text))
    assert mentioned - known == set()
    assert ENV_PREFIX + "CONFIG" in text


def _subcommands(parser: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    found = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.add(f"{prefix}{name}")
                found |= _subcommands(sub, f"{prefix}{name} ")
    return found


def test_quoted_commands_are_real() -> None:
    text = DOC.read_text(encoding="utf-8")
    commands = _subcommands(build_parser())
    quoted = set(re.findall(r"\bprowebcrm ((?:stats )?[a-z][a-z-]+)", text))
    assert {"serve", "migrate", "stats rebuild", "create-user"} <= quoted
    assert quoted <= commands, quoted - commands
    # Options quoted with stats rebuild parse.
    for line in re.findall(r"prowebcrm (stats rebuild[^\n#`]*)", text):
        build_parser().parse_args(line.split())


def test_the_health_endpoint_and_the_asterisk_samples_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    health = (ROOT / "web" / "api" / "health.py").read_text(encoding="utf-8")
    assert '"/api/v1/health"' in health and "`GET /api/v1/health`" in text
    for sample in sorted((ROOT / "asterisk-config").iterdir()):
        assert f"`{sample.name}`" in text, f"asterisk-config/{sample.name} is not described"
