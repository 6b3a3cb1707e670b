"""Counting real RTP on the loopback interface, per Asterisk channel.

Asterisk's per-channel RTP counters stop counting once two SIP channels are bridged
natively (the packets are relayed below the channel), so the tests count what really crosses
the wire: a raw socket on ``lo`` (root only) sees every UDP packet; a channel's audio is the
packets between its Asterisk port (``CHANNEL(rtp,src,audio)``) and its far end
(``CHANNEL(rtp,dest,audio)``).

Besides counting, it looks into G.711 payloads (is the packet sound or silence: music on
hold, an echoed voice, or the silence a muted or lonely channel gets) and collects RFC 4733
telephone-events (DTMF sent as RTP), so a test can tell *what* crosses the wire.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import struct
import threading
from dataclasses import dataclass

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
LOUD = 512  # peak 16-bit sample above which a G.711 packet carries sound (silence: < 16)


def _alaw(code: int) -> int:
    code ^= 0x55
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (
        exponent - 1)
    return magnitude


def _ulaw(code: int) -> int:
    code = ~code & 0xFF
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    return (((mantissa << 3) + 0x84) << exponent) - 0x84


# byte -> 1 when its sample's magnitude is sound, else 0: bytes.translate and max stay in C,
# so the counter keeps up with hundreds of streams
_LOUD_TABLES = {8: bytes(int(_alaw(b) >= LOUD) for b in range(256)),  # PCMA
                0: bytes(int(_ulaw(b) >= LOUD) for b in range(256))}  # PCMU


@dataclass(frozen=True)
class Flow:
    """Packets each way between Asterisk's port and the far end's, over a window."""

    received: int  # far end -> Asterisk
    sent: int  # Asterisk -> far end
    loud_received: int = 0  # of those, G.711 packets that carry sound (not silence)
    loud_sent: int = 0

    def live_both_ways(self) -> bool:
        """A 20 ms stream each way over a one-second window: about 50 packets. The window is
        the test's sleep, read by a sniffer thread; on a busy 2-core machine it drifts by a
        few packets (39 was seen with 20 calls at once), hence +-30 %, still a live stream
        and not a burst or a trickle."""
        return 35 <= self.received <= 65 and 35 <= self.sent <= 65


class RtpCounter:
    """Counts UDP packets on ``lo`` by (source port, destination port) while running."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.2)
        self._counts: collections.Counter[tuple[int, int]] = collections.Counter()
        self._loud: collections.Counter[tuple[int, int]] = collections.Counter()
        # (source port, destination port) -> [(RTP timestamp, event code, end bit)]
        self._events: dict[tuple[int, int], list[tuple[int, int, bool]]] = (
            collections.defaultdict(list))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rtp-counter", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, address = self._sock.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            if address[2] == PACKET_OUTGOING or len(frame) < 42:
                continue  # loopback shows each packet twice: count it once
            if frame[12:14] != b"\x08\x00" or frame[23] != 17:
                continue  # IPv4 UDP only
            ihl = (frame[14] & 0x0F) * 4
            sport, dport = struct.unpack("!HH", frame[14 + ihl:18 + ihl])
            rtp = frame[22 + ihl:]
            with self._lock:
                self._counts[(sport, dport)] += 1
                self._inspect((sport, dport), rtp)

    def _inspect(self, key: tuple[int, int], rtp: bytes) -> None:
        if len(rtp) < 16 or rtp[0] >> 6 != 2:
            return  # not RTP (SIP, RTCP is caught by its payload types below)
        header = 12 + 4 * (rtp[0] & 0x0F)
        if rtp[0] & 0x10 and len(rtp) >= header + 4:  # a header extension
            header += 4 + 4 * struct.unpack("!H", rtp[header + 2:header + 4])[0]
        payload_type = rtp[1] & 0x7F
        payload = rtp[header:]
        table = _LOUD_TABLES.get(payload_type)
        if table is not None and payload:
            if max(payload.translate(table)):
                self._loud[key] += 1
        elif 96 <= payload_type <= 127 and len(payload) == 4:
            # RFC 4733: event, E|R|volume, duration; one RTP timestamp per key press
            timestamp = struct.unpack("!I", rtp[4:8])[0]
            self._events[key].append((timestamp, payload[0], bool(payload[1] & 0x80)))

    def events(self, source: int, destination: int) -> list[int]:
        """The RFC 4733 events (key presses, 0-9 = digits, 10 = *, 11 = #, 12-15 = A-D) sent
        from port ``source`` to ``destination`` so far, one per press, in order."""
        with self._lock:
            packets = list(self._events.get((source, destination), ()))
        # A press: packets of one event code, its last ones with the end bit (sent three
        # times). Not by RTP timestamp: Asterisk may restamp a press that spans a voice frame.
        presses: list[int] = []
        previous: tuple[int, bool] | None = None  # (code, end bit) of the last packet
        for _, code, end in packets:
            if previous is None or code != previous[0] or (previous[1] and not end):
                presses.append(code)
            previous = (code, end)
        return presses

    def loud(self) -> collections.Counter[tuple[int, int]]:
        with self._lock:
            return collections.Counter(self._loud)

    def snapshot(self) -> collections.Counter[tuple[int, int]]:
        with self._lock:
            return collections.Counter(self._counts)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


def channel_ports(ari_get: object, channel_id: str) -> tuple[int, int]:
    """(Asterisk's RTP port, the far end's) of a PJSIP channel."""
    def port(kind: str) -> int:
        value = ari_get("GET", f"/channels/{channel_id}/variable",  # type: ignore[operator]
                        variable=f"CHANNEL(rtp,{kind},audio)")["value"]
        return int(str(value).rsplit(":", 1)[1])

    return port("src"), port("dest")


async def measure(counter: RtpCounter, ports: dict[str, tuple[int, int]], seconds: float
                  ) -> dict[str, Flow]:
    """Packets each way per channel over ``seconds``."""
    before, loud_before = counter.snapshot(), counter.loud()
    await asyncio.sleep(seconds)
    after, loud_after = counter.snapshot(), counter.loud()
    flows = {}
    for channel_id, (local, remote) in ports.items():
        flows[channel_id] = Flow(
            received=after[(remote, local)] - before[(remote, local)],
            sent=after[(local, remote)] - before[(local, remote)],
            loud_received=loud_after[(remote, local)] - loud_before[(remote, local)],
            loud_sent=loud_after[(local, remote)] - loud_before[(local, remote)])
    return flows
