"""Refusals meant for people, raised by services and permission checks."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal to show to the user: message is translated; status is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
