"""Daphne's requests leave the form body to Django (live.apps._daphne_skips_form_parsing)."""

from __future__ import annotations

from daphne.http_protocol import WebRequest
from twisted.internet.testing import StringTransport
from twisted.web import http


def test_twisted_does_not_parse_the_form_body_daphne_passes_on() -> None:
    channel = http.HTTPChannel()
    channel.makeConnection(StringTransport())
    request = WebRequest.__new__(WebRequest)
    http.Request.__init__(request, channel)  # Twisted's constructor, which sets its default (True)
    assert request._parsePOSTFormSubmission is False
    assert http.Request(channel)._parsePOSTFormSubmission is True  # Twisted itself is left as it is
