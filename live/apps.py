from __future__ import annotations

from django.apps import AppConfig


class _LazyPformat:
    """pformat(obj), computed only if a log handler actually formats the message."""

    __slots__ = ("obj",)

    def __init__(self, obj: object, *args: object, **kwargs: object) -> None:
        self.obj = obj

    def __str__(self) -> str:
        from pprint import pformat

        return pformat(self.obj)

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live transport"

    def ready(self) -> None:
        # autobahn (under daphne) pretty-prints its whole configuration for a debug log line on every websocket
        # connection, even when debug logging is off: about 8% of the server's CPU during a connect storm.
        try:
            from autobahn.websocket import protocol
        except ImportError:  # another ASGI server
            return
        protocol.pformat = _LazyPformat
