"""One Asterisk process of the suite's own: free ports, generated configuration, start, stop,
restart, kill -9, CLI commands, and its CPU time (for the benches)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

from . import config
from .media import install_media


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_udp_range(size: int) -> int:
    """The start of ``size`` consecutive free UDP ports (RTP)."""
    # Below the kernel's ephemeral range (32768+), where free_port() picks the other ports.
    for base in range(10000 + (os.getpid() % 50) * 100, 32768 - size, 1000):
        try:
            socks = []
            for port in (base, base + size // 2, base + size - 1):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free UDP port range for RTP")


class AsteriskDied(RuntimeError):
    """The suite's Asterisk is gone although nobody stopped it (a crash)."""


class AsteriskInstance:
    def __init__(self, prefix: Path, root: Path, *, app: str = config.APP,
                 bench: config.BenchOptions | None = None, shipped: bool = False) -> None:
        self.prefix = prefix
        self.shipped = shipped
        self.root = root
        self.app = app
        self.bench = bench
        rtp = free_udp_range(4000)
        self.ports = config.Ports(
            http=free_port(), sip=free_port(socket.SOCK_DGRAM), rtp_start=rtp,
            rtp_end=rtp + 3999,
            carriers=[free_port(socket.SOCK_DGRAM) for _ in range(config.CARRIER_PORTS)],
            farms={name: free_port(socket.SOCK_DGRAM) for name in config.FARMS},
        )
        self.paths = config.Paths(prefix=prefix, root=root)
        self.media_pcap = root / "caller-rtp.pcap"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # -- addresses -------------------------------------------------------------------------

    @property
    def ari_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    @property
    def ari_auth(self) -> tuple[str, str]:
        return config.ARI_USER, config.ARI_PASSWORD

    @property
    def conf_file(self) -> Path:
        return self.root / "etc" / "asterisk.conf"

    # -- life ------------------------------------------------------------------------------

    def write_config(self) -> None:
        for folder in config.DIRS:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        sounds = self.prefix / "var/lib/asterisk/sounds"
        install_media(self.paths.moh, sounds / "en", self.media_pcap)
        for lang in ("fr",):
            if not (sounds / lang).exists():
                shutil.copytree(sounds / "en", sounds / lang)
        for name, text in config.render(self.ports, self.paths, app=self.app,
                                         bench=self.bench, shipped=self.shipped).items():
            (self.root / "etc" / name).write_text(text)

    def start(self, timeout: float = 60.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.write_config()
        log = open(self.root / "log" / "console.log", "ab")
        self.proc = subprocess.Popen(
            [str(self.prefix / "sbin" / "asterisk"), "-f", "-C", str(self.conf_file)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.starts += 1
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"Asterisk exited with {self.proc.returncode}: "
                                   f"{self.tail_log()}")
            try:
                info = self.ari("GET", "/asterisk/info")
                if info and self.cli("core waitfullybooted", timeout=timeout).strip() != "":
                    return
            except (OSError, urllib.error.URLError, subprocess.SubprocessError) as exc:
                last = str(exc)
            time.sleep(0.1)
        raise RuntimeError(f"Asterisk did not start within {timeout} s ({last}): "
                           f"{self.tail_log()}")

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.cli("core stop now", timeout=timeout)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def died(self) -> str | None:
        """Why Asterisk is gone when nobody stopped or killed it (a crash), else None."""
        if self.proc is None or self.proc.poll() is None:
            return None
        code = self.proc.returncode
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        return f"Asterisk died ({how}); its last log lines:\n{self.tail_log()}"

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time Asterisk has used so far (from /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    # -- talking to it ---------------------------------------------------------------------

    def cli(self, command: str, timeout: float = 20.0) -> str:
        proc = subprocess.run(
            [str(self.prefix / "sbin" / "asterisk"), "-C", str(self.conf_file), "-rx", command],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        if proc.returncode != 0:
            raise subprocess.SubprocessError(f"asterisk -rx {command!r}: {proc.stderr.strip()}")
        return proc.stdout

    def ari(self, method: str, path: str, **params: str) -> object:
        """A synchronous ARI request (fixtures and checks; the app has its own client)."""
        query = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in params.items())
        url = f"{self.ari_url}/ari{path}" + (f"?{query}" if query else "")
        token = b64encode(":".join(self.ari_auth).encode()).decode()
        request = urllib.request.Request(url, method=method,
                                         headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                body = resp.read()
        except urllib.error.HTTPError:
            raise
        except urllib.error.URLError as exc:
            # "Connection refused" alone hides a crash: say so, with its last log lines.
            crash = self.died()
            if crash:
                raise AsteriskDied(crash) from exc
            raise
        return json.loads(body) if body else None

    def channels(self) -> list[dict]:
        return list(self.ari("GET", "/channels") or [])  # type: ignore[arg-type]

    def bridges(self) -> list[dict]:
        return list(self.ari("GET", "/bridges") or [])  # type: ignore[arg-type]

    def hangup_all(self) -> int:
        """Hang up every channel (between scenarios and bench rounds)."""
        count = 0
        for channel in self.channels():
            with contextlib.suppress(urllib.error.HTTPError):
                self.ari("DELETE", f"/channels/{channel['id']}")
                count += 1
        return count

    def tail_log(self, lines: int = 30) -> str:
        out = []
        for name in ("console.log", "messages.log"):
            path = self.root / "log" / name
            if path.is_file():
                out += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(out)
