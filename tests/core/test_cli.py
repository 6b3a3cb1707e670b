"""The command line as an operator uses it: one clear line on errors, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(
    args: list[str], data_dir: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PROWEBCRM_")}
    full_env.update({"PROWEBCRM_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [sys.executable, "-m", "prowebcrm.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


@pytest.mark.parametrize("command", ["serve", "migrate", "create-user", "demo"])
def test_every_subcommand_has_help(tmp_path: Path, command: str) -> None:
    result = run([command, "--help"], tmp_path)
    assert result.returncode == 0
    assert f"usage: prowebcrm {command}" in result.stdout


def test_migrate_then_create_user(tmp_path: Path) -> None:
    refused = run(["create-user", "alice", "--password-stdin"], tmp_path, "a-good-password\n")
    assert refused.returncode == 2
    assert "run `prowebcrm migrate` first" in refused.stderr

    assert run(["migrate"], tmp_path).returncode == 0
    created = run(
        ["create-user", "alice", "--role", "admin", "--password-stdin"], tmp_path, "a-good-pw\n"
    )
    assert created.returncode == 0, created.stderr
    assert "created admin 'alice'" in created.stdout

    again = run(["create-user", "alice", "--password-stdin"], tmp_path, "a-good-password\n")
    assert again.returncode == 2 and "already taken" in again.stderr
    short = run(["create-user", "al", "--password-stdin"], tmp_path, "a-good-password\n")
    assert short.returncode == 2 and short.stderr.startswith("prowebcrm: error: login")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"PROWEBCRM_PORT": "abc"}, "PROWEBCRM_PORT must be a whole number"),
        ({"PROWEBCRM_DATABASE_URL": "mysql://root:@127.0.0.1:1/x"}, "cannot migrate"),
        ({"PROWEBCRM_ARI_URL": "nonsense"}, "PROWEBCRM_ARI_URL must look like"),
    ],
)
def test_bad_settings_stop_with_one_line(tmp_path: Path, env: dict, fragment: str) -> None:
    result = run(["migrate"], tmp_path, **env)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
