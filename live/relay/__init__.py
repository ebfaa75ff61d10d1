"""The per-process fan-out.

A debate's sockets in one process share one channel-layer channel (the relay), which is the only member of the
debate's group from this process. A broadcast therefore costs one layer message per process, then one
`websocket.send` of the same pre-rendered text per local socket (under daphne, one write of the same pre-framed
bytes: live/wire.py): no per-socket dispatch through Channels' consumer machinery, no ORM query, no template
render.

The relay also keeps the latest fragment of every widget of its snapshot, so a browser that connects (or
reconnects) gets a snapshot without a render per connection during a connect storm. Fragments of single items
(keys the snapshot does not hold: a question's new count, an insert) are never all cached: the relay keeps those
relayed since its snapshot was rendered, at most MAX_DELTAS per audience, and sends them after the snapshot (the
browser drops what is older than it shows); past that, the next connection renders a fresh snapshot.

Robustness: a failing write to one socket drops that socket only; a client with more than
LIVE_SEND_HIGH_WATER_BYTES queued is closed as stalled (its page reconnects and takes a snapshot); every reader is
supervised (an unexpected error is logged and the reader restarted). Each process also holds one control channel
(group live.control) for revocations and drain requests.

Modules: core.py (the Relay, membership, supervision), delivery.py (fan-out, nudges, resync, the snapshot cache),
presence.py (presence and listened audiences), control.py (revocation, drain, probes), debate.py (DebateRelay),
sockets.py (the Socket protocol, close codes, guarded writes). The names are re-exported here.
"""

from __future__ import annotations

from .core import RESTART_DELAYS, Relay
from .debate import DebateRelay
from .delivery import MAX_DELTAS, NUDGE_FRAME, SNAPSHOT_MAX_AGE
from .sockets import (
    CLOSE_BAD_FRAMES,
    CLOSE_ERROR,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_RESTART,
    CLOSE_REVOKED,
    CLOSE_STALLED,
    CLOSE_TOO_BIG,
    CLOSE_TOO_MANY,
    Socket,
    send_eagerly,
    write_or_shut,
)

__all__ = [
    "CLOSE_BAD_FRAMES",
    "CLOSE_ERROR",
    "CLOSE_FORBIDDEN",
    "CLOSE_NOT_FOUND",
    "CLOSE_RESTART",
    "CLOSE_REVOKED",
    "CLOSE_STALLED",
    "CLOSE_TOO_BIG",
    "CLOSE_TOO_MANY",
    "DebateRelay",
    "MAX_DELTAS",
    "NUDGE_FRAME",
    "RESTART_DELAYS",
    "Relay",
    "SNAPSHOT_MAX_AGE",
    "Socket",
    "send_eagerly",
    "write_or_shut",
]
