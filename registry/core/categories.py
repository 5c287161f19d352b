"""Stakeholder categories as organisers spell them in their spreadsheets (the invitee CSV import).

A commitment lists its own categories (id and label). A row's category cell is matched, in order,
against each category's id, its label, each part of a label written "A / B", and then the synonym
table below — always after ``fold``: accents, case, punctuation and runs of spaces do not matter
("Perguruan  Tinggi", "perguruan-tinggi" and "PERGURUAN TINGGI" are one spelling). A synonym only
applies when the commitment has a category with the synonym's id. The README shows the table.

This module imports neither Flask nor the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# The pentahelix ids the Purbalingga demo uses (registry/demo.py) and the spellings that mean them.
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "pemerintah": (
        "pemerintah",
        "pemerintahan",
        "pemda",
        "pemkab",
        "pemkot",
        "pemprov",
        "opd",
        "dinas",
        "instansi",
        "instansi pemerintah",
        "government",
        "gov",
    ),
    "akademisi": (
        "akademisi",
        "akademik",
        "academia",
        "academic",
        "perguruan tinggi",
        "universitas",
        "kampus",
        "institut",
        "politeknik",
        "sekolah tinggi",
    ),
    "badan-usaha": (
        "badan usaha",
        "swasta",
        "bumn",
        "bumd",
        "perusahaan",
        "dunia usaha",
        "bisnis",
        "business",
        "private sector",
        "industri",
    ),
    "komunitas": (
        "komunitas",
        "masyarakat",
        "lsm",
        "ormas",
        "ngo",
        "community",
        "tokoh masyarakat",
        "organisasi masyarakat",
    ),
    "media": ("media", "pers", "media massa", "jurnalis", "wartawan", "press"),
}

_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """``text`` without accents, case, punctuation, extra spaces: "Pérguruan-Tinggi" → "perguruan tinggi"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", bare.casefold()).split())


def spellings(categories: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """Every accepted spelling (folded) → category id, for one commitment's categories.

    A commitment's own ids and labels win over the synonym table, so a commitment that defines
    "media" differently keeps its meaning.
    """
    table: dict[str, str] = {}
    listed = [(str(c["id"]), str(c.get("label", ""))) for c in categories]
    ids = {ident for ident, _label in listed}
    for ident, synonyms in SYNONYMS.items():
        if ident in ids:
            for word in synonyms:
                table[fold(word)] = ident
    for ident, label in listed:
        for part in label.split("/"):
            if fold(part):
                table[fold(part)] = ident
        table[fold(label)] = ident
    for ident, _label in listed:
        table[fold(ident)] = ident
    return table


def category_of(given: str, table: Mapping[str, str]) -> str | None:
    """The category id a cell names (``table`` from ``spellings``), or None."""
    return table.get(fold(given))
