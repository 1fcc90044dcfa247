"""Every user-facing string is translated into every shipped language, and compiled."""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
LOCALE = Path(settings.BASE_DIR) / "locale"
ENTRY = re.compile(r'^(#,.*\n)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.MULTILINE)


def _unquote(block: str) -> str:
    return "".join(
        line[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        for line in block.strip().splitlines()
    )


def read_po(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    # A fuzzy entry is a guess that compilemessages leaves out: it counts as untranslated.
    entries = {
        _unquote(mid): "" if "fuzzy" in flags else _unquote(mstr)
        for flags, mid, mstr in ENTRY.findall(text)
    }
    entries.pop("", None)  # the header
    return entries


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_compiled(language):
    po = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    untranslated = sorted(msgid for msgid, msgstr in po.items() if not msgstr)
    assert not untranslated, f"{language}: untranslated {untranslated}"
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = sorted(m for m, s in po.items() if compiled.gettext(m) != s)
    assert not stale, f"{language}: .mo is out of date for {stale[:5]}; run compilemessages"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext tools not installed")
def test_catalogs_contain_every_string_in_the_code(tmp_path):
    """makemessages on a copy of the code finds nothing the committed catalogs lack."""
    copy = tmp_path / "sahayak"
    shutil.copytree(settings.BASE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "fr", "-v0"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "sahayak.settings",
            "PYTHONPATH": str(tmp_path),
            "SAHAYAK_DATA_DIR": str(tmp_path / "data"),
        },
    )
    extracted = set(read_po(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    committed = set(read_po(LOCALE / "fr" / "LC_MESSAGES" / "django.po"))
    missing = sorted(extracted - committed)
    assert not missing, f"run makemessages and translate: {missing}"
