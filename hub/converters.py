"""Path converters: a URL that cannot name anything is a 404 before any view or query runs.

A join code is six letters or digits (any case: views upper-case it); an id is a positive number that fits the
databases' 64-bit keys (a longer one overflowed SQLite and PostgreSQL: a 500); a secret token is URL-safe base64.
A NUL byte or any other character outside these never reaches PostgreSQL, which refuses NUL in text (a 500 too).
"""

from __future__ import annotations

from debates.models import JOIN_CODE_LENGTH


class JoinCodeConverter:
    regex = f"[A-Za-z0-9]{{{JOIN_CODE_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    regex = "[0-9]{1,18}"  # below 2**63 - 1, the largest key of both databases

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class TokenConverter:
    regex = "[A-Za-z0-9_-]{1,128}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
