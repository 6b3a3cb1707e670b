"""crm service tests: a cheap argon2 hasher so creating users costs microseconds."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from crm import passwords


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
