"""Demo data survives a restart (no second seeding), ``--fresh`` starts over, and a
database the demo did not seed (or did not finish seeding) is left alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from prowebcrm import cli, demo, demo_seed
from prowebcrm.settings import Settings, SettingsError, load_settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(demo_seed, "HISTORY_DAYS", 2)  # the whole history is tested elsewhere
    return load_settings(env={}, data_dir=tmp_path / "data")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """run_demo goes as far as handing its app to aiohttp, which returns at once."""
    apps: list[Any] = []
    monkeypatch.setattr(demo.web, "run_app", lambda app, **_: apps.append(app))
    return apps


def counts(settings: Settings) -> dict[str, int]:
    with sqlite3.connect(settings.database_url.removeprefix("sqlite://")) as conn:
        found = {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                 for table in ("users", "clients", "calls", "agent_states", "interventions")}
    conn.close()
    return found


def add_client(settings: Settings, name: str) -> None:
    conn = sqlite3.connect(settings.database_url.removeprefix("sqlite://"))
    with conn:
        conn.execute(
            "INSERT INTO clients (first_name, last_name, company, email, address, postal_code, "
            "city, country, remarks, created_at, updated_at) VALUES "
            "('', ?, '', '', '', '', '', '', '', '2026-01-01 00:00:00+00:00', "
            "'2026-01-01 00:00:00+00:00')", (name,))
    conn.close()


def test_restart_keeps_the_data_and_fresh_starts_over(
        settings: Settings, served: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    demo.run_demo(settings)
    out = capsys.readouterr().out
    assert "seeding the call history of the last 2 days" in out
    assert "demo data ready in" in out and "PROWEBCRM demo stopped." in out
    seeded = counts(settings)
    assert seeded["users"] == 10 and seeded["clients"] == 300
    assert seeded["calls"] > 100 and seeded["interventions"] > 0

    add_client(settings, "Restart-Survivor")  # what a user did during the first run
    demo.run_demo(settings)
    out = capsys.readouterr().out
    assert "existing demo data kept" in out and "seeding" not in out
    assert counts(settings) == {**seeded, "clients": 301}

    demo.run_demo(settings, fresh=True)
    out = capsys.readouterr().out
    assert "starting over with empty data" in out and "seeding clients 300/300" in out
    assert counts(settings)["clients"] == 300
    assert len(served) == 3 and all(app is not None for app in served)


def test_a_database_the_demo_did_not_finish_seeding_is_left_alone(
        settings: Settings, served: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    demo.run_demo(settings)
    capsys.readouterr()
    conn = sqlite3.connect(settings.database_url.removeprefix("sqlite://"))
    with conn:  # as if Ctrl-C had come during the seeding: no marker
        conn.execute("DELETE FROM settings WHERE key = ?", (demo_seed.SEED_MARKER,))
    conn.close()
    before = counts(settings)
    demo.run_demo(settings)
    out = capsys.readouterr().out
    assert "did not finish seeding" in out and "--fresh" in out
    assert counts(settings) == before


def test_a_bad_rate_stops_before_touching_anything(
        settings: Settings, served: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SettingsError, match="calls-per-minute"):
        demo.run_demo(settings, calls_per_minute=-2)
    assert not Path(settings.database_url.removeprefix("sqlite://")).exists()
    status = cli.main(["demo", "--data-dir", str(settings.data_dir), "--calls-per-minute",
                       "1000"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("prowebcrm: error: --calls-per-minute") and err.count("\n") == 1
    assert served == []
