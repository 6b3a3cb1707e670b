"""Counting real RTP on the loopback interface, per Asterisk channel.

Asterisk's per-channel RTP counters stop counting once two SIP channels are bridged
natively (the packets are relayed below the channel), so the tests count what really crosses
the wire: a raw socket on ``lo`` (root only) sees every UDP packet; a channel's audio is the
packets between its Asterisk port (``CHANNEL(rtp,src,audio)``) and its far end
(``CHANNEL(rtp,dest,audio)``).
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


@dataclass(frozen=True)
class Flow:
    """Packets each way between Asterisk's port and the far end's, over a window."""

    received: int  # far end -> Asterisk
    sent: int  # Asterisk -> far end


class RtpCounter:
    """Counts UDP packets on ``lo`` by (source port, destination port) while running."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.2)
        self._counts: collections.Counter[tuple[int, int]] = collections.Counter()
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
            with self._lock:
                self._counts[(sport, dport)] += 1

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
    before = counter.snapshot()
    await asyncio.sleep(seconds)
    after = counter.snapshot()
    flows = {}
    for channel_id, (local, remote) in ports.items():
        flows[channel_id] = Flow(
            received=after[(remote, local)] - before[(remote, local)],
            sent=after[(local, remote)] - before[(local, remote)])
    return flows
