"""Keep the translation catalogues in step with the source strings.

    python tools/i18n.py check     # exit 1 listing every string without a translation, or a stale .mo
    python tools/i18n.py update    # add new source strings to the catalogues (untranslated), drop stale ones
    python tools/i18n.py compile   # write each messages.mo from its messages.po

Two kinds of source strings, two catalogues:
- the interface (templates, views: `_()`, `gettext()`, `lazy_gettext()`) is written in Bahasa
  Indonesia, the default language; registry/translations/en holds its English;
- error messages of the core and the services (`N_()` templates, rendered per request by
  registry/http_problems.py) are written in English, the language of logs, the CLI and
  integrations; registry/translations/id holds their Indonesian, for kiosks and browsers.
A string missing from the other language's catalogue is shown as written.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "registry" / "translations"
METHODS = [("registry/**.py", "python"), ("templates/**.html", "jinja2")]


@dataclass(frozen=True)
class Kind:
    locale: str
    keywords: dict[str, tuple[int, ...] | None]

    @property
    def po(self) -> Path:
        return TRANSLATIONS / self.locale / "LC_MESSAGES" / "messages.po"

    @property
    def mo(self) -> Path:
        return self.po.with_suffix(".mo")


KINDS = (
    Kind("en", {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}),
    Kind("id", {"N_": None}),
)


def source_strings(kind: Kind) -> set[str]:
    found: set[str] = set()
    for _name, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=kind.keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def load(kind: Kind) -> Catalog:
    if not kind.po.exists():
        return Catalog(locale=kind.locale)
    with kind.po.open("rb") as handle:
        return read_po(handle, locale=kind.locale)


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def check(kind: Kind) -> list[str]:
    catalog = load(kind)
    problems = []
    for message in sorted(source_strings(kind)):
        entry = catalog.get(message)
        if entry is None or not entry.string:
            problems.append(f"{kind.locale}: untranslated: {message!r}")
    if not kind.mo.exists() or kind.mo.read_bytes() != compiled(catalog):
        problems.append(f"{kind.locale}: messages.mo is stale: run `python tools/i18n.py compile`")
    return problems


def update(kind: Kind) -> None:
    catalog = load(kind)
    wanted = source_strings(kind)
    for message in sorted(wanted):
        if catalog.get(message) is None:
            catalog.add(message, "")
    for stale in [m.id for m in catalog if m.id and m.id not in wanted]:
        catalog.delete(stale)
    kind.po.parent.mkdir(parents=True, exist_ok=True)
    with kind.po.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "check":
        problems = [p for kind in KINDS for p in check(kind)]
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    if command == "update":
        for kind in KINDS:
            update(kind)
        return 0
    if command == "compile":
        for kind in KINDS:
            kind.mo.write_bytes(compiled(load(kind)))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
