"""Server-Timing: how long the server spent on each response (`app;dur=<ms>`), read by bench/ and browser devtools.

Outermost middleware, so the figure covers every other middleware, the view and the template render (the time a
response waits in the server's queues before and after is not in it). It says nothing about the content. A
MiddlewareMixin with request/response hooks only, so the hot path (hub/hot_path.py) runs it as it runs the others.
"""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin


class ServerTimingMiddleware(MiddlewareMixin):
    hot_path_safe = True  # a clock read and a header: nothing that blocks

    def process_request(self, request: HttpRequest) -> None:
        request._server_timing_started = time.perf_counter()  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        started = getattr(request, "_server_timing_started", None)
        if started is not None:
            response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response
