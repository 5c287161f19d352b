"""Finding a person by the name they type: the kiosk's search, online and offline.

A signer types their name the way they say it, not the way the protocol office wrote it: without
accents ("segara" for "Ségara", "muzaffar" for "Muẓaffar"), with a straight apostrophe for Excel's
curly one ("nur'aini" for "Nur’aini"), in another order ("priyanto agus"), and with or without the
honorifics and academic titles Indonesian lists carry ("Bapak Agus", "pak ato", "prof dyah",
"Dr. Ir. H. … M.Si."). So both sides are reduced to *search words*:

1. Unicode compatibility decomposition (NFKD) and removal of the combining marks, so accents and
   dots below go ("Ẓ" → "Z");
2. lower-casing (as JavaScript's ``toLowerCase``, so both sides agree);
3. apostrophes (straight, curly, modifier letters) and dots are dropped inside a word
   ("nur’aini" → "nuraini", "m.si" → "msi"); any other character that is not a letter or digit
   separates words;
4. honorifics and academic titles (:data:`TITLES`) are dropped — unless nothing else is left.

A query matches an entry when every query word is a prefix of a different word of the entry's
name, or, failing that, of its name and institution together. The order of words does not matter.
Matches on the name rank before matches that need the institution, then more whole-word matches
first, then fewer words left over, then the name alphabetically.

The kiosk runs the same steps in JavaScript on the tablet (``registry/static/kiosk/search.js``)
over the roster it keeps for offline use; ``TITLES`` is sent with the roster so there is one list,
and a browser test compares both implementations on the same names.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Honorifics (Bapak/Ibu/Pak/Bu/Sdr …) and academic or religious titles as they are written in
# invitation lists, reduced to search words (dots dropped): "S.T." → "st", "M.Si." → "msi".
TITLES: frozenset[str] = frozenset(
    [
        "bapak",
        "ibu",
        "pak",
        "bu",
        "bpk",
        "sdr",
        "sdri",
        "saudara",
        "saudari",
        "tuan",
        "nyonya",
        "nona",
        "mas",
        "mbak",
        "kak",
        "dr",
        "drg",
        "drh",
        "dra",
        "drs",
        "ir",
        "h",
        "hj",
        "kh",
        "prof",
        "st",
        "sh",
        "se",
        "si",
        "skom",
        "sked",
        "spd",
        "sag",
        "ssos",
        "sip",
        "shut",
        "sp",
        "sfarm",
        "skm",
        "ssi",
        "sikom",
        "sds",
        "sn",
        "spsi",
        "mt",
        "mm",
        "msi",
        "mh",
        "mpd",
        "mag",
        "mkom",
        "mkes",
        "msc",
        "ma",
        "mba",
        "mph",
        "mtp",
        "mak",
        "msos",
        "msp",
        "meng",
        "phd",
        "dba",
    ]
)

_APOSTROPHES = "'\u2018\u2019\u02bc\u02bb\u0060\u00b4."


def words(text: str) -> list[str]:
    """The search words of ``text`` (steps 1–3), in order, titles included.

    Written to give exactly what the kiosk's JavaScript gives (String.normalize("NFKD"), \\p{M},
    toLowerCase, \\p{L}\\p{N}): marks by general category, lower-casing, letters and digits.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).lower()
    bare = bare.replace("ß", "ss")  # what case folding does and toLowerCase does not: "STRASSE"
    found: list[str] = []
    current: list[str] = []
    for c in bare:
        if c in _APOSTROPHES:
            continue
        if unicodedata.category(c)[0] in "LN":
            current.append(c)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return found


def search_words(text: str) -> list[str]:
    """The search words of ``text`` without honorifics and titles (unless only those are left)."""
    found = words(text)
    kept = [w for w in found if w not in TITLES]
    return kept or found


def _covers(query: Sequence[str], target: Sequence[str]) -> tuple[int, int] | None:
    """(exact word matches, words of target left over) when each query word prefixes a distinct
    target word; None otherwise. Greedy on exact matches first, then the shortest prefix match."""
    free = list(target)
    exact = 0
    for word in sorted(query, key=len, reverse=True):
        if word in free:
            free.remove(word)
            exact += 1
            continue
        candidates = [t for t in free if t.startswith(word)]
        if not candidates:
            return None
        free.remove(min(candidates, key=len))
    return exact, len(free)


@dataclass(frozen=True)
class Match:
    """How well an entry matches: a smaller ``rank`` is better (sorted ascending)."""

    rank: tuple[int, int, int, str]


def match(query: str, name: str, institution: str = "") -> Match | None:
    """Whether the typed ``query`` finds the entry (``name``, ``institution``), and how well.

    Titles are ignored on both sides; a name whose own word looks like a title ("Ma", "Mas") is
    still found when the query spells it, by a second try with every word kept.
    """
    wanted = search_words(query)
    if not wanted:
        return None
    tries = ((wanted, search_words(name)), (words(query), words(name)))
    for query_words, name_words in tries:
        by_name = _covers(query_words, name_words)
        if by_name is not None:
            exact, left = by_name
            return Match((0, -exact, left, name.casefold()))
    for query_words, name_words in tries:
        both = _covers(query_words, name_words + search_words(institution))
        if both is not None:
            exact, left = both
            return Match((1, -exact, left, name.casefold()))
    return None


def person_key(name: str) -> str:
    """Two names with the same key are the same name as a person says it: the same search words in
    any order (accents, case, punctuation, honorifics and titles ignored). The kiosk's twin dialog
    (search.js ``listedTwin``) compares names this way; so does linking a walk-in on the server."""
    return " ".join(sorted(search_words(name)))


def institutions_agree(typed: str, listed: str) -> bool:
    """Whether one institution's words are all (prefixes of) distinct words of the other's.

    "Dinas Kominfo" agrees with "Dinas Kominfo Kabupaten Purbalingga" and "PT Perwira Digital" with
    "PT Perwira Digital Nusantara"; "Dinas Uji Coba" does not agree with either. Abbreviations
    ("Diskominfo") do not agree either: a doubt is left to the operator, never guessed.
    """
    a, b = words(typed), words(listed)
    if not a or not b:
        return False
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return _covers(shorter, longer) is not None


def sort_key(name: str) -> tuple[str, str]:
    """Order a list of people by name as a reader expects: "Dr. Ir. H. Agus" under A, not D.

    Honorifics and titles are skipped (search_words); the full name breaks ties.
    """
    return (" ".join(search_words(name)), name.casefold())
