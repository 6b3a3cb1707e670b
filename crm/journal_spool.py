"""The call journal's spool: facts the database could not take yet, on disk, in order.

One JSON-lines file per journal process (``journal-<epoch>.jsonl`` in the spool directory):
a header line, then one fact per line, appended and fsync'd batch by batch while the
database is away. The process holds an exclusive ``flock`` on its file for as long as it
lives, so a process starting later takes over (``adopt_orphans``) only the files of
processes that are gone — a crash releases the lock — never the spool of a live one.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from crm.journal_facts import Fact, from_line, to_line

log = logging.getLogger(__name__)

PREFIX = "journal-"
SUFFIX = ".jsonl"
FORMAT = 1


def _fsync_dir(directory: Path) -> None:
    """Make the file's creation or removal itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _locked(path: Path, mode: str) -> IO[str] | None:
    """The file opened and exclusively locked, or None when another process holds it."""
    handle = open(path, mode, encoding="utf-8")  # kept open: the lock lives as long
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class Spool:
    """This process's spool file, created at the first append."""

    def __init__(self, directory: Path, epoch: str, database_key: str, max_bytes: int) -> None:
        self.directory = directory
        self.path = directory / f"{PREFIX}{epoch}{SUFFIX}"
        self.epoch = epoch
        self.database_key = database_key
        self.max_bytes = max_bytes
        self.size = 0
        self.last_seq = 0  # the last fact written (0: none yet)
        self.facts = 0
        self.full = False
        self._handle: IO[str] | None = None

    @property
    def active(self) -> bool:
        return self._handle is not None

    def append(self, facts: Sequence[tuple[int, Fact]]) -> int:
        """Append facts (in seq order, each after ``last_seq``), flush and fsync them.
        Returns how many were written: fewer when the file reached ``max_bytes`` (then
        ``full`` is set and nothing more is ever appended)."""
        if self.full or not facts:
            return 0
        if self._handle is None:
            self._open()
        assert self._handle is not None
        lines: list[str] = []
        size = self.size
        for seq, fact in facts:
            line = to_line(seq, fact) + "\n"
            if size + len(line) > self.max_bytes:
                self.full = True
                break
            lines.append(line)
            size += len(line)
        if lines:
            self._handle.write("".join(lines))
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self.size = size
            self.facts += len(lines)
            self.last_seq = facts[len(lines) - 1][0]
        return len(lines)

    def discard(self) -> None:
        """Everything in it is in the database: remove the file (the next outage starts a
        new one)."""
        if self._handle is None:
            return
        self.path.unlink(missing_ok=True)
        _fsync_dir(self.directory)
        self._handle.close()
        self._handle = None
        self.size = self.facts = 0
        self.full = False

    def close(self) -> None:
        """Release the file, keeping what it holds for the next process."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = _locked(self.path, "a")
        if handle is None:  # an epoch is unique per process: this cannot be another's
            raise OSError(f"spool {self.path} is locked by another process")
        header = json.dumps({"spool": FORMAT, "epoch": self.epoch,
                             "database": self.database_key}) + "\n"
        handle.write(header)
        handle.flush()
        os.fsync(handle.fileno())
        _fsync_dir(self.directory)
        self._handle = handle
        self.size = len(header)


@dataclass
class Orphan:
    """The spool of a process that is gone, taken over by this one until replayed."""

    path: Path
    epoch: str
    facts: list[tuple[int, Fact]]
    _handle: IO[str] | None = field(default=None, repr=False)

    @property
    def last_seq(self) -> int:
        return self.facts[-1][0] if self.facts else 0

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        _fsync_dir(self.path.parent)
        self.release()

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def adopt_orphans(directory: Path, database_key: str, own_epoch: str) -> list[Orphan]:
    """Spools left by processes that are gone, oldest first, locked for this process."""
    if not directory.is_dir():
        return []
    found: list[Orphan] = []
    for path in sorted(directory.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime):
        handle = _locked(path, "r")
        if handle is None:
            log.info("call journal: spool %s belongs to a live process: left alone", path)
            continue
        orphan = _read(path, handle, database_key, own_epoch)
        if orphan is None:
            handle.close()
        else:
            found.append(orphan)
    return found


def _read(path: Path, handle: IO[str], database_key: str, own_epoch: str) -> Orphan | None:
    lines = handle.read().splitlines()
    try:
        header = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        header = {}
    epoch = str(header.get("epoch", ""))
    if header.get("spool") != FORMAT or not epoch or epoch == own_epoch:
        log.error("call journal: %s is not a spool this version can replay: left in place",
                  path)
        return None
    if header.get("database") != database_key:
        log.error("call journal: spool %s was written for another database: left in place "
                  "(point the app at that database to replay it)", path)
        return None
    facts: list[tuple[int, Fact]] = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            facts.append(from_line(line))
        except ValueError as exc:
            # Only the last line can be torn (a crash while appending, before its fsync).
            level = logging.WARNING if number == len(lines) else logging.ERROR
            log.log(level, "call journal: %s line %d skipped: %s", path, number, exc)
    return Orphan(path, epoch, facts, handle)
