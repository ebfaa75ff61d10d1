"""Voter codes: 10 characters of Crockford's base32 (50 bits), read and typed by people, stored only as a keyed hash.

The key is settings.VOTER_CODE_KEY (falls back to SECRET_KEY): without it, a stolen database does not let anyone try
the 2^50 codes offline against the digests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 10  # 32^10 = 2^50
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str | None:
    """What a person typed (any case, spaces or dashes, O for 0, I or L for 1) as a code, or None if it cannot be one."""
    code = "".join(ch for ch in (typed or "").upper() if ch not in " -\t").translate(_READ_AS)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def digest(code: str, purpose: str = "voter-code") -> str:
    """The keyed hash stored for a code; `purpose` keeps kinds of codes apart (a recovery code is no voter code)."""
    key = (getattr(settings, "VOTER_CODE_KEY", "") or settings.SECRET_KEY).encode()
    return hmac.new(key, f"debates.{purpose}:".encode() + code.encode(), hashlib.sha256).hexdigest()
