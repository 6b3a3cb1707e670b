"""The error type every layer raises; the HTTP layer turns it into Asterisk's error body."""

from __future__ import annotations


class AriError(Exception):
    """An ARI failure with the status code and message Asterisk would answer.

    Asterisk's ``ast_ari_response_error`` always renders ``{"message": ...}``,
    so the message text here is exactly what a client sees.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
