"""A regular install, as a deployment makes it: a wheel built from the repository, installed in
a fresh virtual environment (not editable, so nothing is read from the checkout), migrates the
database, runs the demo and serves every page to every role, with the static files the pages
ask for. An editable install (./dev) hides a template, a static file or a migration that the
package does not carry; this does not."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.demo.process import free_port

ROOT = Path(__file__).resolve().parents[2]
# What a build must not see: the checkout's environment, build leftovers, data, caches.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "data", "test-artifacts", "node_modules",
    "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".import_linter_cache",
)

pytestmark = pytest.mark.timeout(420)

# Every page of the product, by the lowest role that may open it. {client}, {user} and
# {group} are filled with ids the demo seeded.
PAGES: dict[str, list[str]] = {
    "agent": ["/agent", "/clients", "/clients/{client}"],
    "supervisor": ["/supervision", "/wallboard", "/stats", "/stats?report=kpi_per_group",
                   "/clients/import"],
    "admin": ["/admin/users", "/admin/users/new", "/admin/users/{user}",
              "/admin/users/{user}/history", "/admin/groups", "/admin/groups/new",
              "/admin/groups/{group}", "/admin/reference", "/admin/tokens", "/admin/audit",
              "/admin/traffic"],
}
RANKS = ["agent", "supervisor", "admin"]
ANSWER_WITHIN_S = 30  # a page that does not answer fails the test, rather than hanging it
LOGIN_LINE = re.compile(r"^\s+(agent|supervisor|admin)\s+(\S+)\s+password (\S+)", re.M)
STATIC_REF = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def _clean_env(**extra: str) -> dict[str, str]:
    """No PROWEBCRM_ setting and no path into the checkout leaks into the installed program."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PROWEBCRM_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(extra)
    return env


def _run(args: list[str | Path], cwd: Path, timeout: float, **env: str) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=_clean_env(**env),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@dataclass
class Install:
    venv: Path
    work: Path  # the working directory of every command: not the checkout

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Install:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work / "dist",
          source], cwd=work, timeout=180)
    wheels = list((work / "dist").glob("prowebcrm-*.whl"))
    assert len(wheels) == 1, wheels
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=work, timeout=120)
    # The pinned versions: the same dependencies as ./dev, from the same package index.
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet",
          "-c", ROOT / "constraints.txt", wheels[0]], cwd=work, timeout=240)
    return Install(venv, work)


def test_the_install_runs_from_the_wheel_not_from_the_checkout(install: Install) -> None:
    where = _run([install.bin("python"), "-c",
                  "import crm, migrations, prowebcrm, stasis_app, web\n"
                  "for m in (crm, migrations, prowebcrm, stasis_app, web): print(m.__file__)"],
                 cwd=install.work, timeout=60)
    site = str(install.venv / "lib")
    assert all(line.startswith(site) for line in where.split()), where
    # the template the issue found missing, and the others beside it
    templates = install.venv.glob("lib/python*/site-packages/web/templates/**/*.html")
    names = {path.relative_to(path.parents[1]).as_posix() for path in templates}
    assert {"admin/users.html", "supervision/index.html", "stats/index.html"} <= names


def test_migrate_applies_every_packaged_migration(install: Install) -> None:
    data = install.work / "migrate-data"
    out = _run([install.bin("prowebcrm"), "migrate"], cwd=install.work, timeout=120,
               PROWEBCRM_DATA_DIR=str(data))
    packaged = sorted(path.stem for path in install.venv.glob(
        "lib/python*/site-packages/migrations/0*.py"))
    shipped = sorted(path.stem for path in (ROOT / "migrations").glob("0*.py"))
    assert packaged == shipped and packaged, packaged
    applied = re.findall(r"apply_done crm\.(\S+)", out)
    assert applied == packaged, out
    with sqlite3.connect(data / "prowebcrm.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"users", "groups", "calls", "offers", "clients", "journal_progress"} <= tables
    again = _run([install.bin("prowebcrm"), "migrate"], cwd=install.work, timeout=120,
                 PROWEBCRM_DATA_DIR=str(data))
    assert "apply_start" not in again and "up to date" in again, again


class InstalledDemo:
    """``prowebcrm demo`` from the installed console script. A thread drains its output all
    along: a pipe nobody reads fills up and blocks the server on its next log line."""

    def __init__(self, install: Install) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(install.bin("prowebcrm")), "demo", "--port", str(self.port), "--no-traffic"],
            cwd=install.work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=_clean_env(PROWEBCRM_DATA_DIR=str(install.work / "demo-data")),
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if "Simulated callers ring" in line:
                self.ready.set()

    def wait_ready(self, timeout: float = 180) -> dict[str, tuple[str, str]]:
        """(login, password) of one person per role, as the demo prints them."""
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.5):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the installed demo did not start:\n"
                                     + self.output[-3000:])
        people: dict[str, tuple[str, str]] = {}
        for role, login, password in LOGIN_LINE.findall(self.output):
            people.setdefault(role, (login, password))
        return people

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=10)


@pytest.fixture(scope="module")
def demo(install: Install) -> Iterator[tuple[InstalledDemo, dict[str, tuple[str, str]]]]:
    running = InstalledDemo(install)
    try:
        people = running.wait_ready()
        yield running, people
    finally:
        running.stop()


async def _session(base: str, login: str | None, password: str = "") -> aiohttp.ClientSession:
    # unsafe: the session cookie is set by 127.0.0.1, an address rather than a host name
    session = aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                    timeout=aiohttp.ClientTimeout(total=ANSWER_WITHIN_S))
    if login is not None:
        async with session.post("/api/v1/auth/login",
                                json={"login": login, "password": password}) as response:
            assert response.status == 200, await response.text()
    return session


async def _ids(session: aiohttp.ClientSession) -> dict[str, int]:
    ids = {}
    for name, path in (("client", "/api/v1/clients"), ("user", "/api/v1/users"),
                       ("group", "/api/v1/groups")):
        async with session.get(path) as response:
            assert response.status == 200, f"{path}: {await response.text()}"
            items = (await response.json())["items"]
        assert items, f"the demo seeded no {name}"
        ids[name] = items[0]["id"]
    return ids


async def _get(session: aiohttp.ClientSession, url: str, who: str) -> tuple[int, str, str]:
    try:
        async with session.get(url, allow_redirects=False) as response:
            return response.status, response.content_type, await response.text()
    except TimeoutError:
        raise AssertionError(f"{who} {url}: no answer within {ANSWER_WITHIN_S} s") from None


async def _visit_all(base: str, people: dict[str, tuple[str, str]]) -> dict[str, int]:
    """Every page for every role; the status of anything not as expected, by "role path"."""
    wrong: dict[str, int] = {}
    static: set[str] = set()
    async with await _session(base, *people["admin"]) as admin:
        ids = await _ids(admin)
    async with await _session(base, None) as anonymous:
        status, _, body = await _get(anonymous, "/login", "anonymous")
        if status != 200:
            wrong["anonymous /login"] = status
        static |= set(STATIC_REF.findall(body))
    for rank, role in enumerate(RANKS):
        async with await _session(base, *people[role]) as session:
            for page_rank, page_role in enumerate(RANKS):
                for path in PAGES[page_role]:
                    url = path.format(**ids)
                    status, content_type, body = await _get(session, url, role)
                    expected = 200 if page_rank <= rank else 403
                    if status != expected:
                        wrong[f"{role} {url}"] = status
                    if status == 200:
                        assert content_type == "text/html", url
                        static |= set(STATIC_REF.findall(body))
            for path in sorted(static):
                status, _, _ = await _get(session, path, role)
                if status != 200:
                    wrong[f"{role} {path}"] = status
    # the style sheet, the scripts, the icon at least (none when every page failed)
    if len(static) < 5:
        wrong["static files referenced by the pages"] = len(static)
    return wrong


def test_every_page_answers_every_role_from_the_installed_demo(
    demo: tuple[InstalledDemo, dict[str, tuple[str, str]]],
) -> None:
    running, people = demo
    assert set(people) == set(RANKS), running.output
    wrong = asyncio.run(_visit_all(running.base, people))
    assert wrong == {}, f"{wrong}\n{running.output[-2000:]}"
