"""Typed ARI errors: one class per HTTP status the call flows must tell apart."""

from __future__ import annotations

import json


class AriError(Exception):
    """Asterisk refused or could not serve a request.

    `status` is the HTTP status (None when Asterisk was not reached) and `message` is
    Asterisk's own `{"message": "..."}` text when it sent one.
    """

    def __init__(
        self, message: str, *, status: int | None = None, method: str = "", path: str = ""
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method else ""
        code = f"{status} " if status is not None else ""
        super().__init__(f"{where}{code}{message}")

    @property
    def not_in_stasis(self) -> bool:
        """R-wait: the channel exists but its StasisStart has not happened (or it left)."""
        return self.status in (409, 422) and "not in stasis" in self.message.lower()


class AriBadRequest(AriError):
    """400: invalid parameters (also "Channel not found" on bridge addChannel)."""


class AriUnauthorized(AriError):
    """401: wrong ARI user or password."""


class AriNotFound(AriError):
    """404: channel, bridge, application or variable does not exist (any more)."""


class AriConflict(AriError):
    """409: id already used, or channel/bridge not in a Stasis application."""


class AriPreconditionFailed(AriError):
    """412: channel in an invalid state for the operation."""


class AriUnprocessable(AriError):
    """422: e.g. "Channel not in Stasis application" on addChannel."""


class AriServerError(AriError):
    """5xx from Asterisk."""


class AriUnavailable(AriError):
    """Asterisk not reachable: connection refused, reset or timed out."""


class AppAlreadyRunning(AriError):
    """R-single: the Stasis application name is already registered in Asterisk."""


class AppReplaced(AriError):
    """R-single: another WebSocket took the application over; this client stopped acting."""


_BY_STATUS: dict[int, type[AriError]] = {
    400: AriBadRequest,
    401: AriUnauthorized,
    404: AriNotFound,
    409: AriConflict,
    412: AriPreconditionFailed,
    422: AriUnprocessable,
}


def error_for(status: int, body: bytes, method: str, path: str) -> AriError:
    """Build the typed error for an HTTP error reply (body may be JSON, text or empty)."""
    message = ""
    try:
        data = json.loads(body) if body else None
        if isinstance(data, dict):
            message = str(data.get("message") or data.get("error") or "")
    except ValueError:
        message = body.decode("utf-8", "replace").strip()[:500]
    cls = _BY_STATUS.get(status) or (AriServerError if status >= 500 else AriError)
    return cls(message or f"HTTP {status}", status=status, method=method, path=path)
