from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import AppConfig


class _Lazy:
    """fn(obj), computed only if a log handler actually formats the message."""

    __slots__ = ("fn", "obj")

    def __init__(self, fn: Callable[[object], str], obj: object) -> None:
        self.fn, self.obj = fn, obj

    def __str__(self) -> str:
        return self.fn(self.obj)

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731


def _lazily(fn: Callable[..., str]) -> Callable[..., _Lazy]:
    def lazy(obj: object, *args: object, **kwargs: object) -> _Lazy:
        return _Lazy(lambda o: fn(o, *args, **kwargs), obj)

    return lazy


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live transport"

    def ready(self) -> None:
        _daphne_skips_form_parsing()
        # autobahn (under daphne) builds the arguments of its debug log lines even when debug logging is off:
        # it pretty-prints its whole configuration on every websocket connection (about 8% of the server's CPU
        # during a connect storm) and colours three values with click on every message sent (about 8% of a
        # broadcast). Computed lazily, they cost nothing unless someone turns debug logging on.
        try:
            from autobahn.websocket import protocol as autobahn_protocol
        except ImportError:  # another ASGI server
            return
        protocol: Any = autobahn_protocol  # patched module attributes, not part of its typed surface
        if getattr(protocol, "_lazy_log_arguments", False):
            return
        from pprint import pformat

        protocol._lazy_log_arguments = True

        protocol.pformat = _lazily(pformat)
        protocol.hltype = _lazily(protocol.hltype)
        protocol.hlval = _lazily(protocol.hlval)


def _daphne_skips_form_parsing() -> None:
    """Twisted parses every POST's form body into `request.args` before daphne hands the body, untouched, to the
    ASGI application, which parses it again: daphne never reads `args`. The parse of the Content-Type header alone
    goes through the `email` package (about 14 % of the server's CPU in a vote burst, py-spy), and a multipart
    upload would be held parsed in memory twice. Twisted's own switch for it is a constructor argument daphne does
    not pass, so daphne's request class answers False whatever it is given."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # another ASGI server
        return
    if "_parsePOSTFormSubmission" not in vars(WebRequest):
        setattr(WebRequest, "_parsePOSTFormSubmission", property(lambda self: False, lambda self, value: None))
