"""Item 7: a password policy users would expect: length, common passwords, not the login."""

from __future__ import annotations

from typing import Any

import pytest

from crm.passwords import MIN_LENGTH, common_passwords, password_problem

WEAK = ["12345678", "password", "Password", "PASSWORD1", "azertyuiop", "qwertyuiop",
        "iloveyou", "motdepasse", "aaaaaaaaaaaa", "abababababab", "1234567"]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused(password: str) -> None:
    assert password_problem(password, login="someone") is not None


def test_the_login_is_not_a_password() -> None:
    assert password_problem("jean.dupont", login="jean.dupont") is not None
    assert password_problem("Jean.Dupont", login="jean.dupont") is not None
    assert password_problem("tnopud.naej", login="jean.dupont") is not None


def test_reasonable_passwords_pass() -> None:
    for password in ("correct-horse-1", "a-long-pass-phrase-9", "Tr0mbone!Jaune"):
        assert password_problem(password, login="someone") is None


def test_the_deny_list_is_shipped_and_bounded() -> None:
    words = common_passwords()
    assert 1000 <= len(words) <= 5000
    assert all(len(word) >= MIN_LENGTH for word in words)
    assert "password" in words and "12345678" in words


async def test_api_refuses_weak_passwords_with_a_message(admin_client: Any) -> None:
    client, csrf = admin_client
    headers = {"X-CSRF-Token": csrf}
    base = {"login": "bob.martin", "name": "Bob"}
    for password in ("12345678", "password", "bob.martin"):
        response = await client.post("/api/v1/users", json={**base, "password": password},
                                     headers=headers)
        assert response.status == 422, password
        assert "password" in (await response.json())["error"]["fields"]
    created = await client.post("/api/v1/users",
                                json={**base, "password": "a-long-pass-phrase-9"},
                                headers=headers)
    assert created.status == 201
    uid = (await created.json())["id"]
    for password in ("iloveyou", "bob.martin"):
        patch = await client.patch(f"/api/v1/users/{uid}", json={"password": password},
                                   headers=headers)
        assert patch.status == 422, password
        assert "password" in (await patch.json())["error"]["fields"]
    # Renaming the login to the current password is caught too.
    patch = await client.patch(f"/api/v1/users/{uid}",
                               json={"login": "a-long-pass-phrase-9"}, headers=headers)
    assert patch.status == 422
