"""Refusals meant for people, raised by services and permission checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise


class ServiceError(Exception):
    """A refusal to show to the user: message is translated; status is the HTTP status to answer with."""

    def __init__(self, message: str | StrPromise, status: int = 400) -> None:
        message = str(message)  # a lazy translation, resolved in the language of the request that is refused
        super().__init__(message)
        self.message = message
        self.status = status
