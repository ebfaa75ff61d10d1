"""Every translation catalogue compiles and is complete: no empty and no fuzzy entry, placeholders kept
(msgfmt --check-format), every language of settings.LANGUAGES has one (English is the source language)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


import polib
import pytest
from django.conf import settings

LOCALE = Path(__file__).resolve().parent.parent / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
# Every catalogue must be complete: an empty entry would show in French (LANGUAGE_CODE, Django's fallback) on a
# German or Arabic page. French is reviewed; the others are machine-assisted drafts awaiting a native speaker
# (README: Languages), complete all the same.


def test_every_interface_language_has_a_catalogue():
    have = {p.parts[-3] for p in CATALOGUES}
    assert {code for code, _name in settings.LANGUAGES if code != "en"} <= have


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_catalogue_is_complete_and_compiles(po_path, tmp_path):
    po = polib.pofile(str(po_path))
    live = [e for e in po if not e.obsolete]
    empty = [e.msgid for e in live if not (e.msgstr if not e.msgid_plural else all(e.msgstr_plural.values()))]
    fuzzy = [e.msgid for e in live if "fuzzy" in e.flags]
    assert not empty, f"{po_path.parts[-3]}: {len(empty)} untranslated: {empty[:10]}"
    assert not fuzzy, f"{po_path.parts[-3]}: {len(fuzzy)} fuzzy: {fuzzy[:10]}"
    if shutil.which("msgfmt"):
        result = subprocess.run(
            ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(po_path)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
    else:  # polib still parses and compiles it
        po.save_as_mofile(str(tmp_path / "django.mo"))


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_committed_mo_matches_its_po(po_path):
    """The .mo is committed (running the app needs no gettext): it must hold what the .po says."""
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run manage.py compilemessages"
    mo = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "") for e in polib.mofile(str(mo_path))}
    po = polib.pofile(str(po_path))
    stale = [
        e.msgid
        for e in po
        if not e.obsolete
        and e.msgid
        and (e.msgstr or e.msgstr_plural.get(0, ""))
        and mo.get((e.msgctxt, e.msgid)) != (e.msgstr or e.msgstr_plural.get(0, ""))
    ]
    assert not stale, f"{mo_path.parts[-3]}: .mo out of date for {stale[:5]} (run compilemessages)"
