"""Keep the English catalogue in step with the Indonesian source strings.

    python tools/i18n.py check     # exit 1 listing every source string without an English translation
    python tools/i18n.py update    # add new source strings to messages.po (untranslated), drop stale ones
    python tools/i18n.py compile   # write messages.mo from messages.po

Source strings are Indonesian (the default language); registry/translations/en holds English.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "registry" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
METHODS = [("registry/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_strings() -> set[str]:
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def load() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def missing() -> list[str]:
    catalog = load()
    return sorted(m for m in source_strings() if not (catalog.get(m) and catalog.get(m).string))


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "check":
        gaps = missing()
        for message in gaps:
            print(f"untranslated: {message!r}")
        stale = MO.exists() and MO.read_bytes() != compiled(load())
        if stale:
            print("messages.mo is older than messages.po: run `python tools/i18n.py compile`")
        return 1 if gaps or stale else 0
    if command == "update":
        catalog = load()
        wanted = source_strings()
        for message in sorted(wanted):
            if catalog.get(message) is None:
                catalog.add(message, "")
        for message in [m.id for m in catalog if m.id and m.id not in wanted]:
            catalog.delete(message)
        with PO.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
        return 0
    if command == "compile":
        MO.write_bytes(compiled(load()))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
