"""HTML and JSON responses compressed (gzip), except those that carry one of our secrets (debates/breach.py).

Django's GZipMiddleware, restricted: only text/html and application/json (static files are served pre-compressed by
WhiteNoise before Django: hub/static_files.py; CSV and the rest go as they are), 200 bytes or more, to a client
that accepts gzip (`Vary: Accept-Encoding` is set on every response that could have been compressed), never a
response marked `carries_secret`, nor a streaming one (there is none today; Django's would gzip each chunk apart). The random padding Django adds to each compressed response (up to 100 bytes in
the gzip header) only slows BREACH down, so the mark is what protects the secrets: see debates/breach.py for the
list of marked responses and why CSRF tokens need no mark.

The hot path (hub/hot_path.py) runs this hook too: an accepted vote, upvote or support answers with a status line of
about 150 bytes, under the threshold, so it goes out as it is; a refusal (the line and the citizen's state, without
the live_token) may be compressed, a few microseconds of work in memory, no I/O.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

from debates.breach import is_marked

COMPRESSED_TYPES = ("text/html", "application/json")


class CompressionMiddleware(GZipMiddleware):
    hot_path_safe = True  # compresses in memory: nothing that blocks

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if is_marked(response) or response.streaming:
            return response
        if not response.get("Content-Type", "").startswith(COMPRESSED_TYPES):
            return response
        return super().process_response(request, response)
