"""The mark of a response that carries one of our secrets: it is never compressed (hub/compression.py).

BREACH: when one response holds a secret and text someone else can choose (a question, a name, a search), the
compressed size tells whoever watches the traffic and can make the victim's browser repeat the request whether a
guess matches the secret, one character after another. So a view whose answer carries a secret is decorated with
`@carries_secret` and goes out uncompressed.

Marked (each tested in tests/hub/test_compression.py): the console's screen link panel (the screen's secret link,
its QR code, the preview's address: …/moderate/screen-link) and the console's action answers (a new screen link), the
projected screen (its secret URL), the organiser's screen sheet (the same link), the staff page (a new invitation
link) and an invitation's page (its token, in the sign-in link), a recovery code, a sheet of voter codes, and a
citizen's own state (…/me: the live_token of their socket).

The citizen page, most of the bytes, carries no secret, so it is compressed: its state names the live_token by a
digest only (live_ref) and the page fetches the token from …/me (selectors.participant_state_json). So is the
console page: it asks for its screen link panel once loaded (debates/views_moderation_panels.py). Not secrets:
CSRF tokens (Django masks them with fresh randomness in every response, so a guess never meets the same bytes
twice), the session (a cookie, in the headers, which are not compressed), a citizen's own choices on their page
(they grant nothing, and a cross-site request, which the attack needs, carries no session: SameSite=Lax).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from django.http import HttpResponseBase

MARK = "carries_secret"


def carries_secret(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark every response of this view (an exception's page is not its answer: never marked, never a secret)."""

    @functools.wraps(view)
    def marked(*args: Any, **kwargs: Any) -> Any:
        response = view(*args, **kwargs)
        setattr(response, MARK, True)
        return response

    return marked


def is_marked(response: HttpResponseBase) -> bool:
    return bool(getattr(response, MARK, False))
