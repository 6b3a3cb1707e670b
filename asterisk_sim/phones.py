"""Simulated SIP phones: the endpoints behind `PJSIP/<ext>` and `PJSIP/<number>@trunk`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Behaviour(StrEnum):
    AUTO_ANSWER = "auto_answer"  # rings, answers after answer_delay
    MANUAL = "manual"  # rings until answer()/reject()/hangup() or the caller gives up
    REJECT = "reject"  # rings, then declines after answer_delay (cause 21)
    BUSY = "busy"  # refuses at once (cause 17, Dial BUSY)
    NEVER_ANSWER = "never_answer"  # rings forever; only a timeout ends it


@dataclass
class Phone:
    ext: str
    behaviour: Behaviour = Behaviour.AUTO_ANSWER
    answer_delay: float = 0.2
    outside: bool = False  # a number reached through the trunk
    channel_id: str | None = None
    state: str = "idle"  # idle | ringing | in_call (kept up to date by the engine)
    calls_offered: int = 0
    calls_answered: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "ext": self.ext,
            "behaviour": self.behaviour.value,
            "answer_delay": self.answer_delay,
            "outside": self.outside,
            "state": self.state,
            "channel_id": self.channel_id,
            "calls_offered": self.calls_offered,
            "calls_answered": self.calls_answered,
        }


class PhoneBook:
    """The set of phones; outside numbers are created on first use."""

    def __init__(self, outside_behaviour: Behaviour = Behaviour.AUTO_ANSWER) -> None:
        self._phones: dict[str, Phone] = {}
        self.outside_behaviour = outside_behaviour

    def add(
        self,
        ext: str,
        behaviour: Behaviour | str = Behaviour.AUTO_ANSWER,
        answer_delay: float | None = None,
        outside: bool = False,
    ) -> Phone:
        """Create a phone, or update the behaviour of an existing one."""
        behaviour = Behaviour(behaviour)
        phone = self._phones.get(ext)
        if phone is None:
            phone = self._phones[ext] = Phone(ext=ext, behaviour=behaviour, outside=outside)
        phone.behaviour = behaviour
        if answer_delay is not None:
            if answer_delay < 0:
                raise ValueError("answer_delay must be >= 0")
            phone.answer_delay = answer_delay
        return phone

    def get(self, ext: str) -> Phone | None:
        return self._phones.get(ext)

    def outside(self, number: str) -> Phone:
        phone = self._phones.get(number)
        if phone is None:
            phone = self.add(number, self.outside_behaviour, outside=True)
        return phone

    def remove(self, ext: str) -> bool:
        return self._phones.pop(ext, None) is not None

    def list(self) -> list[Phone]:
        return [self._phones[k] for k in sorted(self._phones)]

    def __contains__(self, ext: object) -> bool:
        return ext in self._phones
