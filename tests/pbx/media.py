"""Audio the test Asterisk and the SIPp callers play: generated, so nothing is downloaded.

- music on hold: a few seconds of a two-tone melody as 8 kHz signed-linear (``.sln``), so
  waiting callers really receive RTP as in production;
- prompts the sample dialplan and the engine play (``vm-goodbye``...), as short tones;
- a pcap of G.711 A-law RTP for SIPp's ``play_pcap_audio`` (the caller talking).
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

RATE = 8000


def tone(seconds: float, freqs: tuple[float, ...], volume: float = 0.25) -> list[int]:
    samples = []
    for n in range(int(seconds * RATE)):
        value = sum(math.sin(2 * math.pi * f * n / RATE) for f in freqs) / len(freqs)
        samples.append(int(value * volume * 32767))
    return samples


def melody() -> list[int]:
    notes = (440.0, 494.0, 523.0, 587.0, 659.0, 587.0, 523.0, 494.0)
    out: list[int] = []
    for freq in notes:
        out += tone(0.5, (freq, freq * 1.5))
    return out


def write_sln(path: Path, samples: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack(f"<{len(samples)}h", *samples))


def alaw(sample: int) -> int:
    """ITU-T G.711 A-law encoding of one 16-bit sample."""
    sign = 0x80 if sample >= 0 else 0x00
    if sample < 0:
        sample = -sample - 1
    sample = min(sample, 32767) >> 3
    if sample >= 32:
        exponent = 1
        while sample >= 64 and exponent < 7:
            sample >>= 1
            exponent += 1
        mantissa = (sample >> 1) & 0x0F
        code = (exponent << 4) | mantissa
    else:
        code = sample >> 1
    return (code | sign) ^ 0x55


def write_rtp_pcap(path: Path, seconds: float) -> None:
    """A pcap (Ethernet/IPv4/UDP/RTP, payload type 8) SIPp replays toward the far end."""
    samples = melody()
    payload_all = bytes(alaw(s) for s in samples)
    packets = int(seconds * 50)
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for seq in range(packets):
        start = (seq * 160) % (len(payload_all) - 160)
        payload = payload_all[start:start + 160]
        rtp = struct.pack("!BBHII", 0x80, 8, seq & 0xFFFF, seq * 160, 0x5EED) + payload
        udp = struct.pack("!HHHH", 6000, 6002, 8 + len(rtp), 0) + rtp
        ip_header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xFFFF, 0, 64,
                                17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
        frame = b"\x00" * 12 + b"\x08\x00" + ip_header + udp
        usec = seq * 20_000
        out += struct.pack("<IIII", usec // 1_000_000, usec % 1_000_000, len(frame), len(frame))
        out += frame
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))


PROMPTS = ("vm-goodbye", "ss-noservice", "please-try-call-later", "beep")


def install_media(moh_dir: Path, sounds_dir: Path, pcap: Path) -> None:
    """Music on hold, the prompts, the caller's pcap (idempotent)."""
    if not (moh_dir / "melody.sln").is_file():
        write_sln(moh_dir / "melody.sln", melody())
    for name in PROMPTS:
        target = sounds_dir / f"{name}.sln"
        if not target.is_file():
            write_sln(target, tone(0.4, (660.0,)))
    if not pcap.is_file():
        write_rtp_pcap(pcap, seconds=120)
