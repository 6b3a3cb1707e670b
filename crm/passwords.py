"""Password hashing with argon2id, run in a thread so a ~100 ms hash never blocks the loop,
and the password policy every new password passes (whoever sets it: API, page, CLI)."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verifying against this when the login is unknown costs the same time as a real check,
# so response time does not reveal which logins exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_LENGTH = 8
MAX_LENGTH = 256
# Fewer different characters than this ("aaaaaaaa", "abababab") is no password at all.
MIN_DISTINCT = 4
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped deny list (lower case), read once."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, login: str = "") -> str | None:
    """Why ``password`` is refused (an English msgid), or None when it is acceptable.

    NIST SP 800-63B's advice: a minimum length, no composition rules, but a check against
    passwords known to be common, and against the account's own name."""
    from crm.errors import N_

    if len(password) < MIN_LENGTH:
        return N_("at least 8 characters")
    if len(password) > MAX_LENGTH:
        return N_("at most 256 characters")
    lowered = password.lower()
    if len(set(lowered)) < MIN_DISTINCT:
        return N_("too simple: use more different characters")
    if lowered in common_passwords():
        return N_("this password is one of the most common ones: choose another")
    name = login.strip().lower()
    if name and lowered in (name, name[::-1]):
        return N_("the password must not be the login")
    return None


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, _hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.get_running_loop().run_in_executor(None, check)
