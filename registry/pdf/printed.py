"""Printed versus sealed: does the text a certificate PDF shows say what its record seals?

The attachments of a certificate (record.json, record.sig) prove what the registry sealed; the
page is what a person reads. A PDF drawn anew with another name but the genuine attachments
copied in would pass a check of the attachments alone, so verification also reads the page's
text layer (registry.pdf.printed_text) and compares it, line by line in drawing order, with the
page ``render_certificate`` draws for the sealed record:

- every line of text on the page must belong to one slot of that layout (a fixed label or a
  field), so a name printed *in addition to* the genuine one is extra text, wherever it is;
- a field's lines must spell its sealed value, allowing only the certificate's own line wrapping
  (a break at a space, or inside an over-long word) and, where the layout cuts a text, "…";
- a field's lines form one block (same size, the layout's line spacing), lie on the page, and
  the main fields lie below one another in the layout's order (name above position above
  institution …), so genuine text moved elsewhere on the page does not pass either.

What this cannot see: text drawn as outlines or as an image, and colour (genuine text painted
white under a forged image). The verdicts therefore always come with the sealed fields, for a
person to compare with the paper in their hand.

Fields whose sealed value the caller does not know (offline: the commitment title without a
saved status, the category and dimension labels, the place, the log index) are not checked and
are reported as such; their fixed labels still are. Of the printed verify URL only the code at
its end is compared unless the caller gives the whole URL (its base follows the registry's
address at printing time, which may move). This module imports neither
Flask, the database nor reportlab (the fonts' character maps are read with the standard library,
registry.pdf.printable); pypdf is imported only when a PDF is read.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from registry.core import codes
from registry.core.errors import FormatError
from registry.pdf.common import ATTACHMENT_RECEIPT, LEGAL_LINE, LEGAL_LINE_EN, format_wib
from registry.pdf.printable import BOLD, REGULAR, printed_form
from registry.pdf.printed_structure import structure
from registry.pdf.printed_text import MAX_LINES, Line, normalise, read_lines

__all__ = ["FIELDS", "Expected", "PrintedCheck", "check_printed", "compare"]

# Every field a check can name, in the order a reader meets them (and reports list them).
FIELDS = (
    "name",
    "position",
    "institution",
    "category",
    "commitment",
    "issuer",
    "dimensions",
    "place",
    "signed_at",
    "code",
    "record_id",
    "kid",
    "log_index",
    "url",
    "attachments",
    "withdrawal",
    "legal",
    "layout",
    "extra_text",
    "structure",
)
# What an unreadable page leaves unchecked: every field of the page.
_PAGE_FIELDS = FIELDS[: FIELDS.index("layout")]
LEADING = 1.28  # the certificate's line height as a multiple of the font size
MIN_SIZE = 3.0  # points: text smaller than this is not legible print
ELLIPSIS = "…"


@dataclass(frozen=True)
class Expected:
    """What the page of a certificate of ``record`` shows; ``None`` = not known here, not checked."""

    record: dict[str, Any]
    attachments: tuple[str, ...]  # names of the files attached to the PDF
    title: str | None = None
    category_label: str | None = None
    dimension_labels: Sequence[str] | None = None
    place: str | None = None
    log_index: int | None = None
    url: str | None = None  # the printed verify URL (the QR's URL without its #fragment)
    withdrawal_known: bool = False
    withdrawal: tuple[str, str] | None = None  # (instant, reason), when known to be withdrawn
    issuer_known: bool = False  # the version's issuer is known here (``issuer`` None: it has none)
    issuer: str | None = None


@dataclass
class PrintedCheck:
    """``same``: all text accounted for and the checked fields as sealed; ``differs``; ``unreadable``."""

    status: str
    differing: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    reason: str | None = None


def _right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _letters(text: str) -> Counter[str]:
    return Counter(text.replace(" ", ""))


# --------------------------------------------------------------------------------------------
# The layout's slots


@dataclass(frozen=True)
class _Slot:
    field: str
    text: str | None  # the full printed text (label prefix included); None = any text after ``prefix``
    prefix: str = ""
    suffix: str = ""  # with ``text`` None: what the text must end with (unless cut with "…")
    max_lines: int = 1
    optional: bool = False
    absent: bool = False  # must not be printed at all (e.g. a withdrawal banner on a valid record)
    truncatable: bool = False
    below: int | None = None  # index of the slot this one must lie below on the page


@lru_cache(maxsize=1024)
def _printed(text: str, font: str) -> str:
    # The text exactly as the certificate draws it (NFC, U+FFFD where it cannot print faithfully).
    return normalise(printed_form(text, font))


def _consume(lines: Sequence[str], expected: str) -> int | None:
    """How much of ``expected`` the lines spell, breaking only where the certificate's wrap does."""
    pos = 0
    for line in lines:
        if not expected.startswith(line, pos):
            return None
        pos += len(line)
        if pos < len(expected) and expected[pos] == " ":
            pos += 1  # the line broke at this space
    return pos


def _spells(lines: Sequence[str], slot: _Slot) -> bool:
    if slot.text is None:
        squeezed, prefix = "".join(lines).replace(" ", ""), slot.prefix.replace(" ", "")
        if not squeezed.startswith(prefix) or len(squeezed) == len(prefix):
            return False
        return squeezed.endswith(slot.suffix) or (slot.truncatable and squeezed.endswith(ELLIPSIS))
    if _right_to_left(slot.text):
        # pypdf reorders right-to-left runs (and drops the spaces around them) while the page
        # draws them in logical order: compare the characters as a multiset, weaker but still
        # catching another name (measured: "Ab שלום cd" reads back as "Ab םולשcd").
        shown, sealed = "".join(lines), _letters(slot.text)
        if _letters(shown) == sealed:
            return True
        # A cut text: its "…" may have been moved into the reordered run too.
        return slot.truncatable and ELLIPSIS in shown and _letters(shown.replace(ELLIPSIS, "")) <= sealed
    if _consume(lines, slot.text) == len(slot.text):
        return True
    if slot.truncatable and lines and lines[-1].endswith(ELLIPSIS):
        cut = [*lines[:-1], lines[-1][: -len(ELLIPSIS)].rstrip()]
        cut = [part for part in cut if part]
        consumed = _consume(cut, slot.text)
        return consumed is not None and consumed < len(slot.text) and consumed >= len(slot.prefix)
    return False


def _one_block(lines: Sequence[Line]) -> bool:
    """The lines are one text block: same page and size, each the layout's leading below the last."""
    first = lines[0]
    if not all(line.on_page and line.size >= MIN_SIZE for line in lines):
        return False
    for above, below in itertools.pairwise(lines):
        step = above.y - below.y
        if below.page != first.page or abs(below.size - first.size) > 0.02 * first.size:
            return False
        if abs(step - LEADING * first.size) > 0.05 * first.size + 0.3:
            return False
    return True


def _fixed(text: str, name: str = "layout", font: str = REGULAR, **kw: Any) -> _Slot:
    """A slot for ``text`` exactly, as drawn in ``font``."""
    return _Slot(name, _printed(text, font), **kw)


def _labelled(prefix: str, value: str | None, name: str, font: str = REGULAR, **kw: Any) -> _Slot:
    """A slot for ``prefix`` then ``value``; ``value`` None: any text after the prefix."""
    if value is None:
        return _Slot(name, None, prefix=_printed(prefix, font), **kw)
    return _Slot(name, _printed(prefix + value, font), prefix=_printed(prefix, font), **kw)


def _slots(exp: Expected) -> list[_Slot]:
    """The page's slots in drawing order: the panel, the head, then the main block."""
    slots = [*_panel_slots(exp), *_head_slots(exp)]
    return slots + _main_slots(exp, len(slots))


def _unbanned(exp: Expected) -> bool:
    """The withdrawal banner may be missing (printed before the withdrawal) but must not be
    printed when the record is known not to be withdrawn."""
    return exp.withdrawal_known and exp.withdrawal is None


def _panel_slots(exp: Expected) -> list[_Slot]:
    """The watermark, then the verification panel at the foot of the page and its legal line."""
    record = exp.record
    # As the panel lists them (a receipt only when one is attached).
    receipt = ", receipt.tlog-proof" if ATTACHMENT_RECEIPT in exp.attachments else ""
    attached = "record.json, record.sig" + receipt
    url_label = "Pindai kode QR atau buka · Scan the QR code or open: "
    return [
        _fixed("DITARIK", "withdrawal", font=BOLD, optional=True, absent=_unbanned(exp)),  # the watermark
        _fixed("VERIFIKASI KEASLIAN · VERIFY", font=BOLD),
        _fixed("Kode verifikasi · Verification code"),
        _fixed(codes.display_code(record["code"]), "code", font=BOLD),
        # The URL's base follows the registry's address at printing time (which may move): when
        # not given, only its path's code is compared.
        _Slot(
            "url",
            None if exp.url is None else _printed(f"{url_label}{exp.url}", REGULAR),
            prefix=_printed(url_label, REGULAR),
            suffix=f"/v/{record['code']}",
            max_lines=2,
            truncatable=True,
        ),
        _fixed("ID rekaman · Record id"),
        _fixed(record["id"], "record_id", truncatable=True),
        _fixed("ID kunci · Key id"),
        _fixed(record["kid"], "kid", truncatable=True),
        _fixed("Indeks log · Log index"),
        _labelled("", None if exp.log_index is None else str(exp.log_index), "log_index", truncatable=True),
        _fixed(
            f"Berkas terlampir di PDF ini · Files attached to this PDF: {attached}",
            "attachments",
            max_lines=2,
        ),
        _fixed(LEGAL_LINE_EN, "legal", max_lines=2),
        _fixed(LEGAL_LINE, "legal", font=BOLD),
    ]


def _head_slots(exp: Expected) -> list[_Slot]:
    """The letterhead, the title and the withdrawal banner."""
    withdrawn = exp.withdrawal if exp.withdrawal_known else None
    unbanned = _unbanned(exp)
    return [
        # The letterhead (registry/pdf/branding.py): the issuer's name, when the version has one.
        _Slot(
            "issuer",
            _printed(exp.issuer, BOLD) if exp.issuer else None,
            max_lines=2,
            optional=not exp.issuer,  # required when known, must be absent when known to be none
            absent=exp.issuer_known and not exp.issuer,
        ),
        _fixed("IKRAR · REGISTRI KOMITMEN PUBLIK", font=BOLD),
        _fixed("SERTIFIKAT PENANDATANGANAN", font=BOLD),
        _fixed("Certificate of signing"),
        _fixed("DITARIK / WITHDRAWN", "withdrawal", font=BOLD, optional=True, absent=unbanned),
        _labelled(
            "Ditarik pada · Withdrawn on: ",
            None if withdrawn is None else _when(withdrawn[0]),
            "withdrawal",
            max_lines=2,
            optional=True,
            absent=unbanned,
        ),
        _labelled(
            "Alasan · Reason: ",
            None if withdrawn is None else withdrawn[1],
            "withdrawal",
            max_lines=5,
            truncatable=True,
            optional=True,
            absent=unbanned,
        ),
    ]


def _main_slots(exp: Expected, attest: int) -> list[_Slot]:
    """The main block, from index ``attest`` on: each field below the one before it."""
    record = exp.record
    signatory = record["signatory"]
    dimensions = " · ".join(exp.dimension_labels) if exp.dimension_labels is not None else None
    slots = [
        _fixed("Dengan ini menerangkan bahwa · This is to attest that"),
        _Slot("name", _printed(signatory["name"], BOLD), max_lines=8, below=attest),
        _Slot("position", _printed(signatory["position"], REGULAR), max_lines=8, below=attest + 1),
        _Slot("institution", _printed(signatory["institution"], REGULAR), max_lines=8, below=attest + 2),
        _labelled("Kategori · Category: ", exp.category_label, "category", max_lines=4, below=attest + 3),
        _fixed("telah menandatangani · has signed", below=attest + 4),
        _Slot(
            "commitment",
            None if exp.title is None else _printed(exp.title, BOLD),
            max_lines=10,
            below=attest + 5,
        ),
    ]
    # The details rows, each below the last: a bold label, its English, then the value.
    for label, label_en, value, name, lines in (
        ("Dimensi yang dipilih", "Dimensions chosen", dimensions, "dimensions", 16),
        ("Tempat", "Place", exp.place, "place", 16),
    ):
        above = attest + len(slots) - 1
        slots += [
            _fixed(label, font=BOLD, below=above),
            _fixed(label_en, below=above + 1),
            _labelled("", value, name, max_lines=lines, below=above),
        ]
    place = attest + len(slots) - 1
    slots += [
        _fixed("Waktu", font=BOLD, below=place),
        _fixed("Time", below=place + 1),
        _fixed(format_wib(record["signed_at"]), "signed_at", max_lines=2, below=place),
    ]
    when = attest + len(slots) - 1
    slots += [
        _Slot("name", _printed(signatory["name"], BOLD), max_lines=2, truncatable=True, below=when),
        _fixed("Tanda tangan · Signature", below=when + 1),
    ]
    return slots


def _when(instant: str) -> str:
    try:
        return format_wib(instant)
    except FormatError:
        return instant  # already human text


# --------------------------------------------------------------------------------------------
# Aligning the page's lines with the slots


def compare(lines: Sequence[Line], exp: Expected) -> PrintedCheck:
    """Compare the page's lines (``read_lines``) with the certificate of ``exp``."""
    slots = _slots(exp)
    checked = sorted(
        {s.field for s in slots if s.text is not None or s.suffix} - {"layout"}, key=FIELDS.index
    )
    not_checked = sorted({s.field for s in slots if s.text is None} - set(checked), key=FIELDS.index)
    if not lines:
        return PrintedCheck("unreadable", [], [], list(_PAGE_FIELDS), "the PDF has no text layer")
    if len(lines) > MAX_LINES:
        return PrintedCheck(
            "differs", ["extra_text"], checked, not_checked, "far more text than a certificate"
        )
    texts = [line.text for line in lines]
    n_slots, n_lines = len(slots), len(lines)

    # best[s][i]: least cost of matching slots[s:] with lines[i:]; a differing slot, a missing
    # slot and an extra line cost 1 each. choice[s][i] remembers how.
    inf = n_slots + n_lines + 1
    best = [[inf] * (n_lines + 1) for _ in range(n_slots + 1)]
    choice: list[list[tuple[str, int]]] = [[("", 0)] * (n_lines + 1) for _ in range(n_slots + 1)]
    for i in range(n_lines + 1):
        best[n_slots][i] = n_lines - i
        choice[n_slots][i] = ("extra", 1)
    for s in range(n_slots - 1, -1, -1):
        slot = slots[s]
        for i in range(n_lines, -1, -1):
            options: list[tuple[int, tuple[str, int]]] = []
            for k in range(1, min(slot.max_lines, n_lines - i) + 1):
                ok = not slot.absent and _spells(texts[i : i + k], slot) and _one_block(lines[i : i + k])
                options.append(((0 if ok else 1) + best[s + 1][i + k], ("match" if ok else "differs", k)))
            options.append(((0 if slot.optional else 1) + best[s + 1][i], ("missing", 0)))
            if i < n_lines:
                options.append((1 + best[s][i + 1], ("extra", 1)))
            cost, step = min(options, key=lambda o: o[0])  # first of equals: a slot's own lines
            best[s][i], choice[s][i] = cost, step

    differing: set[str] = set()
    placed: dict[int, list[Line]] = {}
    s = i = 0
    while s < n_slots or i < n_lines:
        how, k = choice[s][i]
        if s == n_slots or how == "extra":
            differing.add("extra_text")
            i += 1
            continue
        slot = slots[s]
        if how == "differs" or (how == "missing" and not slot.optional):
            differing.add(slot.field)
        if how == "match":
            placed[s] = list(lines[i : i + k])
        s, i = s + 1, i + k
    for index, group in placed.items():
        above = slots[index].below
        if above is not None and above in placed and group[0].y >= placed[above][-1].y - 0.5:
            # Printed out of the layout's order: neither text stands where a reader looks for it.
            differing.update((slots[index].field, slots[above].field))
    result = sorted(differing, key=FIELDS.index)
    if result:
        return PrintedCheck("differs", result, checked, not_checked)
    return PrintedCheck("same", [], checked, not_checked)


def check_printed(pdf: bytes, exp: Expected) -> PrintedCheck:
    """Read ``pdf``'s text and compare it with ``exp``; ``unreadable`` when there is none to read.

    The document's structure is checked first (registry.pdf.printed_structure): a PDF not built like
    a certificate — a second page, an annotation, hidden or invisible text, another font, a
    content too large — differs in "structure" and its text is never extracted.
    """
    problem, emblem = structure(pdf)
    if problem is not None:
        return PrintedCheck("differs", ["structure"], [], list(_PAGE_FIELDS), problem)
    try:
        lines = read_lines(pdf)
    except ValueError as exc:
        return PrintedCheck("unreadable", [], [], list(_PAGE_FIELDS), str(exc))
    # The letterhead's emblem may share the page only if no text lies level with it (it could
    # cover that text): a line's ascent and descent must clear the image's box.
    if emblem is not None and any(
        line.y + line.size > emblem[1] and line.y - 0.3 * line.size < emblem[3] for line in lines
    ):
        return PrintedCheck(
            "differs", ["structure"], [], list(_PAGE_FIELDS), "an image is drawn level with text"
        )
    return compare(lines, exp)
