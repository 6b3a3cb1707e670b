from pathlib import Path

import pytest

from prowebcrm.settings import SettingsError, load_settings


def test_defaults_make_a_working_embedded_setup(tmp_path: Path) -> None:
    s = load_settings(env={"PROWEBCRM_DATA_DIR": str(tmp_path / "d")})
    assert s.database_url == f"sqlite://{tmp_path / 'd' / 'prowebcrm.sqlite3'}"
    assert s.ari_app == "prowebcrm"
    assert s.agent_dial == "PJSIP/{extension}"
    assert s.outbound_dial == "PJSIP/{number}@trunk"
    assert not s.ari_configured


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    env = {"PROWEBCRM_DATA_DIR": str(tmp_path)}
    first = load_settings(env=env).secret_key
    second = load_settings(env=env).secret_key
    assert first == second and len(first) == 44
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    other = load_settings(env={"PROWEBCRM_DATA_DIR": str(tmp_path / "other")}).secret_key
    assert other != first


def test_environment_beats_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "p.toml"
    cfg.write_text('[prowebcrm]\nport = 9000\nari_app = "fromfile"\n')
    s = load_settings(
        env={"PROWEBCRM_DATA_DIR": str(tmp_path), "PROWEBCRM_ARI_APP": "fromenv"},
        config_file=cfg,
    )
    assert s.port == 9000
    assert s.ari_app == "fromenv"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("PORT", "eighty", "PROWEBCRM_PORT must be a whole number"),
        ("PORT", "70000", "between 0 and 65535"),
        ("DATABASE_URL", "postgres://x/y", "must start with sqlite:// or mysql://"),
        ("DATABASE_URL", "mysql://root@127.0.0.1:3306", "needs a database name"),
        ("SECRET_KEY", "short", "32 bytes"),
        ("TIMEZONE", "Mars/Olympus", "not a known time zone"),
        ("DEFAULT_REGION", "XX", "two-letter region"),
        ("ARI_URL", "127.0.0.1:8088", "must look like http://"),
        ("AGENT_DIAL", "PJSIP/agent", "must contain {extension}"),
        ("OUTBOUND_DIAL", "PJSIP/trunk", "must contain {number}"),
        ("OUTBOUND_CALLER_ID", "sip:0170@x", "must be a number"),
        ("OUTBOUND_CALLER_ID", "Sales <0170000700>", "must be a number"),
        ("EVENT_LOOP", "trio", 'must be "uvloop" or "asyncio"'),
    ],
)
def test_bad_settings_give_one_clear_line(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(env={"PROWEBCRM_DATA_DIR": str(tmp_path), f"PROWEBCRM_{name}": value})
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("value", ["+33170000700", '"Sales" <0170000700>'])
def test_outbound_caller_id_forms(tmp_path: Path, value: str) -> None:
    s = load_settings(env={"PROWEBCRM_DATA_DIR": str(tmp_path),
                           "PROWEBCRM_OUTBOUND_CALLER_ID": value})
    assert s.outbound_caller_id == value


def test_unknown_key_in_config_file_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "p.toml"
    cfg.write_text("[prowebcrm]\nprot = 1\n")
    with pytest.raises(SettingsError, match="unknown setting"):
        load_settings(env={"PROWEBCRM_DATA_DIR": str(tmp_path)}, config_file=cfg)


def test_a_mysql_address_without_the_mariadb_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "aiomysql" else real_find_spec(name, *a))
    with pytest.raises(SettingsError) as err:
        load_settings(env={"PROWEBCRM_DATA_DIR": str(tmp_path),
                           "PROWEBCRM_DATABASE_URL": "mysql://root@127.0.0.1:3306/prowebcrm"})
    assert 'pip install "prowebcrm[mariadb]"' in str(err.value)
    monkeypatch.undo()
    # with the driver there (the test extra installs it) the same address is accepted
    settings = load_settings(env={"PROWEBCRM_DATA_DIR": str(tmp_path),
                                  "PROWEBCRM_DATABASE_URL": "mysql://root@127.0.0.1:3306/p"})
    assert settings.database_url.startswith("mysql://")
