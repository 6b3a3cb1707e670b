"""The configuration the suite's Asterisk runs with: the project's own samples from
``asterisk-config/``, with only ports and addresses substituted, plus what a test bench
needs on top (more phones, Local-channel helpers, a fallback check, app_queue for the
side-by-side bench).

Every substitution must hit: a sample edited so that the substitution no longer applies fails
the run here, instead of silently testing something else than what is shipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "asterisk-config"
ARI_USER = "prowebcrm"
ARI_PASSWORD = "change-me-to-a-long-random-secret"  # the sample's, kept on purpose
APP = "prowebcrm"

# Behaviours of the SIPp phone farms; each farm listens on its own port and the extensions
# of a behaviour are endpoints whose AOR points at that farm.
FARMS = ("answer", "noanswer", "busy", "decline", "hangup", "refer", "pstn")
PHONE_RANGES = {
    "answer": range(2100, 2400),
    "noanswer": range(2400, 2450),
    "busy": range(2450, 2500),
    "decline": range(2500, 2550),
    "hangup": range(2550, 2600),
    "refer": range(2600, 2650),
    "unreachable": range(2650, 2700),
    # SIP phones looped back into Asterisk itself, whose far end the test drives through
    # ARI (ring, answer, decline, hang up on command): see driver.py.
    "driven": range(3000, 3100),
}
CARRIER_PORTS = 8  # carriers placing calls at the same time (each from its own port)


@dataclass
class Ports:
    http: int
    sip: int
    rtp_start: int
    rtp_end: int
    carriers: list[int]  # the SIPp carriers' source ports (the trunk is identified by them)
    farms: dict[str, int] = field(default_factory=dict)
    dead: int = 9  # a port nobody listens on: unreachable phones


@dataclass
class Paths:
    prefix: Path
    root: Path  # this instance's own folder

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def moh(self) -> Path:
        return self.root / "moh"


def _sub(text: str, pattern: str, replacement: str, what: str) -> str:
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if count == 0:
        raise ValueError(f"asterisk-config sample changed: cannot substitute {what}")
    return new


@dataclass
class BenchOptions:
    """What the side-by-side bench adds: app_queue members, CEL to a file, no qualify."""

    queue_members: list[str] = field(default_factory=list)
    cel_file: Path | None = None
    qualify: bool = False


# Where the samples-as-shipped mode puts things: the carrier on 127.0.0.1 (the trunk is
# matched by that address alone, as a carrier's IP would be), phones on an address of their
# own (else the trunk's identify would claim them), a stranger on a third one.
CARRIER_IP = "127.0.0.1"
PHONES_IP = "127.0.0.3"
STRANGER_IP = "127.0.0.2"
# The sample's agents, with the passwords they ship with (only the address is substituted).
SAMPLE_PHONES = {"2001": "change-me-2001", "2002": "change-me-2002"}


def render(ports: Ports, paths: Paths, *, app: str = APP,
           bench: BenchOptions | None = None, shipped: bool = False) -> dict[str, str]:
    """File name -> content of every configuration file of the instance.

    ``shipped``: the samples exactly as shipped, with only ports and addresses substituted:
    no test phones, no helper contexts; the phones are the sample's, and they register."""
    files = {name: (SAMPLES / name).read_text() for name in (
        "http.conf", "ari.conf", "pjsip.conf", "extensions.conf", "rtp.conf",
        "musiconhold.conf", "queues.conf", "indications.conf")}
    files["http.conf"] = _sub(files["http.conf"], r"^bindport = \d+", f"bindport = {ports.http}",
                              "the HTTP port")
    files["pjsip.conf"] = (_pjsip_shipped if shipped else _pjsip)(files["pjsip.conf"], ports)
    files["extensions.conf"] = _sub(files["extensions.conf"], r"^PROWEBCRM_APP = \S+",
                                    f"PROWEBCRM_APP = {app}", "the app name")
    if not shipped:
        files["extensions.conf"] += _extensions_extra(app)
    files["rtp.conf"] = _sub(
        _sub(files["rtp.conf"], r"^rtpstart = \d+", f"rtpstart = {ports.rtp_start}", "rtpstart"),
        r"^rtpend = \d+", f"rtpend = {ports.rtp_end}", "rtpend")
    files["musiconhold.conf"] = _sub(files["musiconhold.conf"], r"^directory = .*$",
                                     f"directory = {paths.moh}", "the music folder")
    if not shipped:
        files["queues.conf"] += _QUEUES_EXTRA
    files["cdr.conf"] = "[general]\nenable = no\n"
    files["cel.conf"] = "[general]\nenable = no\n"
    if bench is not None:
        files["queues.conf"] += "".join(f"member => {m}\n" for m in bench.queue_members)
        if not bench.qualify:
            files["pjsip.conf"] = re.sub(r"^qualify_frequency = \d+", "qualify_frequency = 0",
                                         files["pjsip.conf"], flags=re.MULTILINE)
        if bench.cel_file is not None:
            files["cel.conf"] = ("[general]\nenable = yes\napps = queue,stasis\n"
                                 "events = APP_START,BRIDGE_ENTER,BRIDGE_EXIT\n")
            files["cel_custom.conf"] = (
                f"[{bench.cel_file}]\nformat = dsv\nseparator_character = |\n"
                "quoting_method = none\n"
                "fields = EventType,EventTime(double),ChanName,AppName,UniqueID,EventExtra\n")
    files["asterisk.conf"] = _asterisk_conf(paths)
    files["modules.conf"] = _MODULES
    files["logger.conf"] = _LOGGER
    files["stasis.conf"] = ""
    return files


def _pjsip_shipped(text: str, ports: Ports) -> str:
    text = _sub(text, r"^bind = \S+", f"bind = 127.0.0.1:{ports.sip}", "the SIP bind address")
    text = _sub(text, r"^contact = sip:sip\.example\.net:\d+",
                f"contact = sip:{CARRIER_IP}:{ports.farms['pstn']}", "the trunk's address")
    return _sub(text, r"^match = \S+", f"match = {CARRIER_IP}", "the carrier's source address")


def _pjsip(text: str, ports: Ports) -> str:
    text = _sub(text, r"^bind = \S+", f"bind = 127.0.0.1:{ports.sip}", "the SIP bind address")
    text = _sub(text, r"^contact = sip:sip\.example\.net:\d+",
                f"contact = sip:127.0.0.1:{ports.farms['pstn']}", "the trunk's address")
    text = _sub(text, r"^match = \S+",
                "match = " + ",".join(f"127.0.0.1:{p}" for p in ports.carriers),
                "the carrier's source address")
    text = _sub(text, r"^outbound_auth = trunk-auth\n", "", "the trunk's outbound auth")
    lines = ["", "; ---- added by the test harness: phones of every behaviour ----"]
    for behaviour, numbers in PHONE_RANGES.items():
        port = {"unreachable": ports.dead, "driven": ports.sip}.get(behaviour) or (
            ports.farms[behaviour])
        for ext in numbers:
            lines += [
                f"[{ext}](agent-phone)", f"auth = {ext}", f"aors = {ext}",
                f"[{ext}](agent-auth)", f"username = {ext}", f"password = test-{ext}",
                f"[{ext}](agent-aor)", f"contact = sip:{ext}@127.0.0.1:{port}",
            ]
            if behaviour != "unreachable":
                # SIPp farms miss an OPTIONS now and then (a burst of hundreds at start):
                # qualified, such a phone would read offline for a whole period and the
                # distribution, which follows the phones' state (issue 12), would skip it.
                # These phones are always there; the unreachable ones are qualified.
                lines.append("qualify_frequency = 0")
    lines += [
        "[loop](codecs)", "type = endpoint", "context = driven-phones", "identify_by = ip",
        "direct_media = no",
        "[loop-identify]", "type = identify", "endpoint = loop", f"match = 127.0.0.1:{ports.sip}",
    ]
    return text + "\n".join(lines) + "\n"


def _asterisk_conf(paths: Paths) -> str:
    root, prefix = paths.root, paths.prefix
    return f"""[directories]
astetcdir => {root / 'etc'}
astmoddir => {prefix / 'lib/asterisk/modules'}
astvarlibdir => {root / 'lib'}
astdbdir => {root / 'db'}
astkeydir => {root / 'keys'}
astdatadir => {prefix / 'var/lib/asterisk'}
astagidir => {prefix / 'var/lib/asterisk/agi-bin'}
astspooldir => {root / 'spool'}
astrundir => {root / 'run'}
astlogdir => {root / 'log'}
astsbindir => {prefix / 'sbin'}

[options]
verbose = 0
debug = 0
maxfiles = 65536
documentation_language = en_US
"""


# spool/recording: where ARI's recordings go (B9); Asterisk's install makes it, ARI does not.
DIRS = ("etc", "lib", "db", "keys", "spool", "spool/recording", "run", "log", "moh")

# Everything a PBX of this kind loads, nothing that probes for hardware or other servers.
_MODULES = """[modules]
autoload = yes
noload = chan_iax2.so
noload = chan_unistim.so
noload = chan_mgcp.so
noload = chan_skinny.so
noload = chan_console.so
noload = chan_alsa.so
noload = chan_oss.so
noload = chan_motif.so
noload = res_xmpp.so
noload = cdr_pgsql.so
noload = cel_pgsql.so
noload = cdr_sqlite3_custom.so
noload = cel_sqlite3_custom.so
noload = res_config_pgsql.so
noload = res_phoneprov.so
noload = res_pjsip_phoneprov_provider.so
noload = res_smdi.so
noload = app_voicemail.so
noload = res_hep.so
noload = res_hep_pjsip.so
noload = res_hep_rtcp.so
noload = res_statsd.so
noload = res_snmp.so
noload = res_calendar.so
noload = pbx_dundi.so
noload = res_config_ldap.so
noload = res_fax.so
noload = res_fax_spandsp.so
noload = res_prometheus.so
noload = res_geolocation.so
noload = res_stir_shaken.so
noload = res_aeap.so
noload = res_speech_aeap.so
"""

_LOGGER = """[general]
dateformat = %F %T.%3q
[logfiles]
messages.log => notice,warning,error
"""

# Helpers that only a test bench needs. Local channels are a convenience here; the phones
# and the carrier of the scenarios are SIPp.
_EXTENSIONS_EXTRA = """
; ---- added by the test harness ------------------------------------------------------------
; A Local-channel phone driven by the test through ARI (answer, decline, hang up on command):
; its far half enters the driver's own Stasis app.
[driven-phones]
exten => _X.,1,Stasis({app}-driver,phone,${EXTEN})
 same => n,Hangup()

; Local-channel phones that answer at once / never answer (the bench's cheap agents).
[agent-phones]
exten => _X.,1,Answer()
 same => n,Wait(3600)
[agent-phones-noanswer]
exten => _X.,1,Ringing()
 same => n,Wait(3600)

; The far end of a Local-channel caller: answers and waits.
[caller]
exten => _X.,1,Answer()
 same => n,Wait(3600)

; The side-by-side bench: the same callers into app_queue or into a minimal Stasis app.
[bench-queue]
exten => _X.,1,Answer()
 same => n,Queue(bench,,,,3600)
 same => n,Hangup()
[bench-minimal]
exten => _X.,1,Stasis(bench-minimal,inbound,${EXTEN})
 same => n,Hangup()
; A second prowebcrm (MariaDB) beside the first: its own Stasis app name, the same dialplan
; (a channel variable of the name overrides the global one).
[bench-prowebcrm-mariadb]
exten => _X.,1,Set(PROWEBCRM_APP={app}-mariadb)
 same => n,Goto(inbound,${EXTEN},1)
; A third (the bench's prowebcrm-sqlite@<other checkout>: two versions compared in one run).
[bench-prowebcrm-alt]
exten => _X.,1,Set(PROWEBCRM_APP={app}-alt)
 same => n,Goto(inbound,${EXTEN},1)
"""

def _extensions_extra(app: str) -> str:
    return _EXTENSIONS_EXTRA.replace("{app}", app)


_QUEUES_EXTRA = """
; ---- added by the test harness: app_queue for the side-by-side bench ----
[bench]
strategy = leastrecent
timeout = 15
retry = 1
wrapuptime = 0
musicclass = default
joinempty = yes
leavewhenempty = no
ringinuse = no
autofill = yes
"""
