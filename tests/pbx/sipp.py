"""SIPp processes: phone farms (one UAS per behaviour) and carrier calls (UAC).

The farms run for the whole session; a carrier run places calls (one or a wave), and its
log says, per caller number, whether the call was answered and which side hung up.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import scenarios
from .instance import AsteriskInstance, free_port

SIPP = shutil.which("sipp") or "/usr/bin/sipp"


def sipp_available() -> bool:
    return Path(SIPP).is_file()


class Farm:
    """One SIPp UAS answering every call to its port with one behaviour."""

    def __init__(self, pbx: AsteriskInstance, behaviour: str, folder: Path) -> None:
        self.behaviour = behaviour
        self.port = pbx.ports.farms[behaviour]
        self.folder = folder
        self.pbx = pbx
        self.proc: subprocess.Popen[bytes] | None = None
        self.scenario = folder / f"farm-{behaviour}.xml"
        self.refer_to = ""
        self.trace = False  # keep every SIP message in <behaviour>.messages (see messages())

    def start(self, **options: object) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.behaviour == "pstn":  # numbers with early media play the caller's stream
            options.setdefault("early_pcap", str(self.pbx.media_pcap))
        self.scenario.write_text(scenarios.uas(self.behaviour, **options))  # type: ignore[arg-type]
        media_port = free_port(socket.SOCK_DGRAM)
        cmd = [
            SIPP, "-sf", str(self.scenario), "-i", "127.0.0.1", "-p", str(self.port),
            "-mi", "127.0.0.1", "-mp", str(media_port), "-rtp_echo",
            "-nostdin", "-trace_err", "-error_file", str(self.folder / f"{self.behaviour}.err"),
            "-max_socket", "4096", "-t", "u1",
            f"127.0.0.1:{self.pbx.ports.sip}",
        ]
        if self.trace:
            cmd[1:1] = ["-trace_msg", "-message_file", str(self._messages)]
        out = self.folder / f"{self.behaviour}.out"
        with open(out, "wb") as sink:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sink,
                                         stderr=subprocess.STDOUT, cwd=self.folder)
        time.sleep(0.05)
        if self.proc.poll() is not None:
            tail = out.read_text(errors="replace")[-800:]
            raise RuntimeError(f"SIPp farm {self.behaviour} did not start: {tail}")

    @property
    def _messages(self) -> Path:
        return self.folder / f"{self.behaviour}.messages"

    def messages(self) -> str:
        """What the farm sent and received so far (with ``trace`` set before start)."""
        with contextlib.suppress(OSError):
            return self._messages.read_text(errors="replace")
        return ""

    def restart(self, **options: object) -> None:
        self.stop()
        self.start(**options)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@dataclass
class CarrierResult:
    returncode: int
    lines: list[str] = field(default_factory=list)
    messages: str = ""

    def of(self, number: str) -> list[str]:
        return [line.split(" ", 1)[1] for line in self.lines if line.split(" ", 1)[0] == number]


class Carrier:
    """Calls from the carrier's address (the trunk is identified by it)."""

    def __init__(self, pbx: AsteriskInstance, folder: Path) -> None:
        self.pbx = pbx
        self.folder = folder
        self._runs = 0
        self._busy: dict[int, CarrierCalls] = {}

    def _free_port(self) -> int:
        for port in self.pbx.ports.carriers:
            calls = self._busy.get(port)
            if calls is None or calls.done():
                return port
        raise RuntimeError("every carrier port is busy: wait for a run to end first")

    def start(self, did: str, callers: list[tuple[str, str]], *, hold_s: float = 60.0,
              rate: float = 0.0) -> CarrierCalls:
        """Place one call per (number, name) to ``did`` — all at once unless ``rate`` (calls
        per second) is given. Returns at once; ``wait()`` on the result."""
        self._runs += 1
        run = self.folder / f"carrier-{self._runs}"
        run.mkdir(parents=True, exist_ok=True)
        scenario = run / "carrier.xml"
        scenario.write_text(scenarios.carrier(hold_ms=int(hold_s * 1000),
                                              pcap=str(self.pbx.media_pcap)))
        inject = run / "callers.csv"
        inject.write_text("SEQUENTIAL\n" + "".join(f"{n};{nm};\n" for n, nm in callers))
        count = len(callers)
        port = self._free_port()
        for _ in range(5):
            proc = self._spawn(run, scenario, inject, did, port, count, hold_s, rate)
            if not _lost_a_port_race(proc, run):
                break
        calls = self._busy[port] = CarrierCalls(proc, run)
        return calls

    def _spawn(self, run: Path, scenario: Path, inject: Path, did: str, port: int, count: int,
               hold_s: float, rate: float) -> subprocess.Popen[bytes]:
        cmd = [
            SIPP, "-sf", str(scenario), "-inf", str(inject), "-s", did,
            "-i", "127.0.0.1", "-p", str(port),
            "-mi", "127.0.0.1", "-mp", str(free_port(socket.SOCK_DGRAM)),
            "-m", str(count), "-l", str(count), "-nostdin",
            "-r", str(rate or count), "-rp", "1000",
            "-trace_logs", "-log_file", str(run / "calls.log"),
            "-trace_msg", "-message_file", str(run / "messages.log"),
            "-trace_err", "-error_file", str(run / "errors.log"),
            # SIPp's -timeout is for the whole run: placing at ``rate`` takes count / rate.
            "-timeout", str(int(hold_s + 60 + (count / rate if rate else 0))), "-timeout_error",
            "-max_socket", "4096", "-t", "u1",
            f"127.0.0.1:{self.pbx.ports.sip}",
        ]
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=run)


def _lost_a_port_race(proc: subprocess.Popen[bytes], run: Path) -> bool:
    """The media port was free when chosen and taken before SIPp bound it (the ephemeral
    range is shared with every other socket on the machine): SIPp exits at once, then."""
    try:
        proc.wait(0.1)
    except subprocess.TimeoutExpired:
        return False
    errors = run / "errors.log"
    lost = errors.is_file() and "Unable to bind" in errors.read_text(errors="replace")
    if lost:
        errors.unlink()
    return lost


class CarrierCalls:
    def __init__(self, proc: subprocess.Popen[bytes], run: Path) -> None:
        self.proc = proc
        self.run = run

    def wait(self, timeout: float = 120.0) -> CarrierResult:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            code = -9
        return self.result(code)

    def done(self) -> bool:
        return self.proc.poll() is not None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def result(self, code: int) -> CarrierResult:
        lines = []
        log = self.run / "calls.log"
        if log.is_file():
            lines = [line.strip() for line in log.read_text(errors="replace").splitlines()
                     if line.strip()]
        messages = ""
        with contextlib.suppress(OSError):
            messages = (self.run / "messages.log").read_text(errors="replace")
        return CarrierResult(code, lines, messages)


def _run_once(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, cwd=cwd,
                          timeout=timeout, check=False)


class RegisteredPhone:
    """One of the sample's own phones: registers (digest) from ``ip`` as ``ext``, then
    answers and echoes audio on that same address and port, as a real phone does.
    ``codecs``: the payload types of its answer, in its order of preference; "offer": it
    takes alaw and ulaw and answers with the first of them the (first) INVITE offers, as most
    phones do, and keeps it on re-INVITEs."""

    def __init__(self, pbx: AsteriskInstance, ext: str, password: str, ip: str,
                 folder: Path, *, codecs: str = "8 0", scenario: str = "") -> None:
        self.pbx = pbx
        self.ext = ext
        self.password = password
        self.ip = ip
        self.port = free_port(socket.SOCK_DGRAM)
        self.folder = folder / f"phone-{ext}"
        self.codecs = codecs
        self.scenario = scenario  # its own UAS scenario (scenarios.uas's), else "answer"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        register = self.folder / "register.xml"
        register.write_text(scenarios.register(self.ext, self.password))
        target = f"127.0.0.1:{self.pbx.ports.sip}"
        done = _run_once([SIPP, "-sf", str(register), "-i", self.ip, "-p", str(self.port),
                          "-m", "1", "-nostdin", "-timeout", "10", "-timeout_error",
                          "-trace_msg", "-message_file", str(self.folder / "register.log"),
                          "-t", "u1", target], self.folder, 20)
        if done.returncode != 0:
            log = (self.folder / "register.log")
            text = log.read_text(errors="replace")[-1500:] if log.is_file() else ""
            raise RuntimeError(f"phone {self.ext} did not register: {text}")
        uas = self.folder / "uas.xml"
        text = self.scenario or scenarios.uas("answer")
        if self.codecs == "offer":
            text = text.replace(
                '<ereg regexp=".*" search_in="hdr" header="To:" assign_to="invite_to"/>',
                '<ereg regexp=".*" search_in="hdr" header="To:" assign_to="invite_to"/>\n'
                # SIPp's regular expressions are POSIX: the first payload type only, which
                # the sample's codec list (alaw,ulaw) makes one of the two.
                '      <ereg regexp="m=audio [0-9]+ RTP/AVP ([08]) " search_in="body"'
                ' check_it="true" assign_to="offer_m,first_pt"/>', 1).replace(
                '<Reference variables="dummy,last,', '<Reference variables="offer_m,first_pt,'
                'dummy,last,')
            codecs = "[$first_pt]"
        else:
            codecs = self.codecs
        uas.write_text(text.replace("RTP/AVP 8 0 101", f"RTP/AVP {codecs} 101"))
        # The same address and port it registered from: Asterisk rewrites the contact to it.
        cmd = [SIPP, "-sf", str(uas), "-i", self.ip, "-p", str(self.port),
               "-mi", self.ip, "-mp", str(free_port()), "-rtp_echo", "-nostdin",
               # A NOTIFY arriving while the scenario answers the one before (a REFER's
               # progress comes in bursts) is answered 200 instead of ending the call.
               "-aa",
               "-trace_msg", "-message_file", str(self.folder / "messages.log"),
               "-trace_err", "-error_file", str(self.folder / "errors.log"),
               "-max_socket", "512", "-t", "u1", target]
        with open(self.folder / "uas.out", "wb") as sink:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sink,
                                         stderr=subprocess.STDOUT, cwd=self.folder)
        time.sleep(0.05)
        if self.proc.poll() is not None:
            raise RuntimeError(f"phone {self.ext}'s SIPp exited at once")

    def messages(self) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / "messages.log").read_text(errors="replace")
        return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def stranger_call(pbx: AsteriskInstance, did: str, ip: str, user: str,
                  folder: Path) -> tuple[int, str]:
    """One INVITE to ``did`` from ``ip`` claiming to be ``user``: (SIPp's exit code, what
    its log says: ``refused <code>`` when Asterisk turned it down)."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario = folder / "stranger.xml"
    scenario.write_text(scenarios.stranger_invite(user))
    done = _run_once([SIPP, "-sf", str(scenario), "-s", did, "-i", ip,
                      "-p", str(free_port(socket.SOCK_DGRAM)), "-m", "1", "-nostdin",
                      "-timeout", "15", "-timeout_error",
                      "-trace_logs", "-log_file", str(folder / "stranger.log"),
                      "-trace_msg", "-message_file", str(folder / "messages.log"),
                      "-t", "u1", f"127.0.0.1:{pbx.ports.sip}"], folder, 30)
    log = folder / "stranger.log"
    return done.returncode, log.read_text(errors="replace") if log.is_file() else ""


def phone_dials(pbx: AsteriskInstance, ext: str, password: str, ip: str, number: str,
                folder: Path, hold_ms: int = 2000, *, audio: bool = False,
                call_id: str = "") -> tuple[int, str]:
    """The sample's phone ``ext`` dials ``number`` (digest auth as a real phone): (SIPp's
    exit code, its log: ``dialled answered`` once the far end answered). ``audio``: it
    plays the carrier's A-law stream while it talks (the 'pstn' farm echoes it back).
    ``call_id``: the SIP Call-ID of its INVITE (a REFER's Replaces names it)."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario = folder / "dial.xml"
    pcap = str(pbx.media_pcap) if audio else ""
    scenario.write_text(scenarios.phone_dials(ext, password, hold_ms, pcap))
    media = ["-mi", ip, "-mp", str(free_port(socket.SOCK_DGRAM))] if audio else []
    cid = ["-cid_str", call_id] if call_id else []
    done = _run_once([SIPP, "-sf", str(scenario), "-s", number, "-i", ip, *media, *cid,
                      "-p", str(free_port(socket.SOCK_DGRAM)), "-m", "1", "-nostdin",
                      "-timeout", str(20 + hold_ms // 1000), "-timeout_error",
                      "-trace_logs", "-log_file", str(folder / "dial.log"),
                      "-trace_msg", "-message_file", str(folder / "messages.log"),
                      "-t", "u1", f"127.0.0.1:{pbx.ports.sip}"], folder, 40 + hold_ms / 1000)
    log = folder / "dial.log"
    return done.returncode, log.read_text(errors="replace") if log.is_file() else ""
