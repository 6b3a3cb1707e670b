"""Domain errors raised by crm services; the web layer maps each kind to one HTTP status.

Messages are English templates with ``{name}`` placeholders filled from ``params``, so the web
layer can translate the template (it is a gettext msgid, marked with :func:`N_`) before
formatting it. ``fields`` maps a field name to such a template when one input is at fault.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Marks a string for translation extraction without translating it here."""
    return message


class CrmError(Exception):
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        self.template = message
        self.params = params
        self.fields = fields or {}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return self.template.format(**self.params) if self.params else self.template


class NotFound(CrmError):
    code = "not_found"


class Conflict(CrmError):
    """A unique value is already taken, or the change would break something that depends on it."""

    code = "conflict"


class InvalidInput(CrmError):
    """The input is well-formed but breaks a domain rule (e.g. overflow to an unknown group)."""

    code = "invalid"


class NotAllowed(CrmError):
    """The actor may not do this (e.g. an administrator deleting their own account)."""

    code = "forbidden"


class Busy(CrmError):
    """A conflict the caller can simply retry (a database deadlock that persisted)."""

    code = "busy"
