"""Word lists shipped with the hub: the default word filter of a new debate (editable per debate).

Matching is done by services.matched_words: whole words, case- and accent-insensitive. The lists hold insults and
slurs only — words that are almost never innocent in a question to an elected official — so that the filter flags
for review rather than censors. A debate's organisers add local words (names, campaign slogans) on its settings.
"""

from __future__ import annotations

FRENCH: tuple[str, ...] = (
    "abruti",
    "abrutie",
    "batard",
    "bâtard",
    "bouffon",
    "bouffonne",
    "connard",
    "connasse",
    "conne",
    "crétin",
    "crétine",
    "débile",
    "encule",
    "enculé",
    "enculée",
    "enfoiré",
    "enfoirée",
    "fdp",
    "fils de pute",
    "gogol",
    "grognasse",
    "imbécile",
    "merde",
    "negro",
    "nique",
    "ntm",
    "pd",
    "pétasse",
    "pouffiasse",
    "pute",
    "salaud",
    "salope",
    "tafiole",
    "tapette",
    "trou du cul",
    "ta gueule",
    "va te faire foutre",
)

ENGLISH: tuple[str, ...] = (
    "asshole",
    "bastard",
    "bitch",
    "bollocks",
    "bullshit",
    "cunt",
    "dickhead",
    "dumbass",
    "fag",
    "faggot",
    "fuck",
    "fucker",
    "fucking",
    "idiot",
    "moron",
    "motherfucker",
    "nigger",
    "piss off",
    "prick",
    "retard",
    "scumbag",
    "shit",
    "shut up",
    "slut",
    "twat",
    "wanker",
    "whore",
)


def default_word_filter() -> str:
    """The filter a new debate starts with: the French then the English list, one entry per line."""
    seen: list[str] = []
    for word in (*FRENCH, *ENGLISH):
        if word not in seen:
            seen.append(word)
    return "\n".join(seen)
