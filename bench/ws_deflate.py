"""Why websocket compression stays off: what autobahn's permessage-deflate (daphne's websocket library; daphne
does not accept the extension today) would keep and spend per socket.

    .venv/bin/python bench/ws_deflate.py [sockets]      # default 1000

Reported: resident memory per socket once each has compressed one broadcast and inflated one message from its
client (context takeover, the extension's default), then after 40 broadcasts (its window fills), and the CPU of
one broadcast compressed once per socket. Today a broadcast is framed once and the same bytes are written to every
socket (live/wire.py); with deflate and context takeover each socket's bytes differ, so that is impossible.
"""

from __future__ import annotations

import gc
import random
import sys
import time
import zlib

from autobahn.websocket.compress_deflate import PerMessageDeflate

CARD = (
    '<div hx-swap-oob="afterbegin:#qlist" data-item="q-{i}" data-v="2"><li id="q-{i}" class="question" '
    'data-upvotes="0"><form method="post" action="/d/VERT47/q/{i}/upvote" hx-post="/d/VERT47/q/{i}/upvote" '
    'hx-swap="none" class="upvote-form"><button class="upvote" type="submit" data-qid="{i}">▲<span id="q-{i}-n" '
    'class="count">0</span></button></form><div class="qbody"><p class="qtext">Quand les travaux de la ligne de '
    "tramway seront-ils terminés dans le quartier nord, et qui paiera les commerces fermés pendant le chantier "
    '{i} ?</p><p class="meta">Citoyen·ne anonyme · 20:41</p></div></li></div>'
)


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def compress(pmd: PerMessageDeflate, data: bytes) -> bytes:
    pmd.start_compress_message()
    out = pmd.compress_message_data(data)
    return out + pmd.end_compress_message()


def main(n: int) -> None:
    client = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    hello = client.compress(b'{"type": "identify", "token": "WzEsN10:t07JrPXly9CtRo6m9FYtNjgOh6eyYRklMaRthdFDlZ8"}')
    hello += client.flush(zlib.Z_SYNC_FLUSH)
    card = CARD.format(i=1234).encode()

    gc.collect()
    before = rss_kib()
    sockets = []
    for _ in range(n):
        pmd = PerMessageDeflate(True, False, False, 0, 0, 0)  # context takeover both ways: the defaults
        pmd.start_decompress_message()
        pmd.decompress_message_data(hello)
        pmd.end_decompress_message()
        sockets.append(pmd)
    started = time.perf_counter()
    for pmd in sockets:
        wire = compress(pmd, card)
    cpu_ms = (time.perf_counter() - started) * 1000
    gc.collect()
    after = rss_kib()
    print(
        f"{n} sockets: +{(after - before) / 1024:.0f} MiB resident ({(after - before) / n:.0f} KiB per socket) after"
        f" one message each way; one {len(card)}-byte broadcast compressed per socket: {cpu_ms:.0f} ms of CPU"
        f" ({cpu_ms * 1000 / n:.0f} µs per socket, {len(wire)} bytes each on the wire)"
    )

    rng = random.Random(1)
    messages = [CARD.format(i=i).encode() + bytes(rng.choice(b"abcdefghij ") for _ in range(2000)) for i in range(40)]
    for pmd in sockets:
        for message in messages:
            compress(pmd, message)
    gc.collect()
    warm = rss_kib()
    print(f"after 40 more broadcasts of ~2.6 KB: {(warm - before) / n:.0f} KiB per socket")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
