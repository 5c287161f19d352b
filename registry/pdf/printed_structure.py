"""Is a PDF built like a certificate ``render_certificate`` draws, before any of its text is read?

Reading a page's text (registry.pdf.printed) sees what a text extractor sees, not what a viewer
shows. Everything a viewer shows that the extractor does not — a second page, an annotation or
a form field drawn over the page, a crop box hiding part of it, text made invisible (render mode
3 or 7), a clipping path, an image or form drawn over the text, optional content, another font —
is refused here by structure: a genuine certificate has none of them. The check is also the
bound on work: the page's content is decoded here with a hard size limit (a Flate stream of
74 KB may inflate to megabytes of text operators) and tokenised in one linear pass, and only a
content that passes is handed to pypdf's text extraction.

What remains unseen (docs/FORMATS.md §9): text drawn as vector outlines over a white box, and
text painted in the page's colour. This module imports neither Flask nor the database; pypdf is
imported only when a PDF is read.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Sequence
from typing import Any

__all__ = ["MAX_CONTENT_BYTES", "MAX_OPERATORS", "MAX_TEXT_RUNS", "structure", "structure_problem"]

# Measured (tests/test_printed.py::test_the_content_bounds_hold_the_largest_genuine_certificate):
# a certificate with the largest signature the API accepts (6000 points) and long fields decodes
# to 268 KB of content and 24,781 operators; the bounds are about 4× that.
MAX_CONTENT_BYTES = 1_100_000
MAX_OPERATORS = 100_000
# Text-showing operators (Tj, TJ, ', "): pypdf's extraction costs most per run of text; the
# largest certificate shows about 100 runs (measured in the same test), so 400 as MAX_LINES.
MAX_TEXT_RUNS = 400
_SHOWS = frozenset((b"Tj", b"TJ", b"'", b'"'))

# BaseFont names reportlab gives the DejaVu subsets the certificate embeds, and the Helvetica
# it always declares (unused, not embedded, standard encoding).
_DEJAVU = re.compile(r"/[A-Z]{6}\+DejaVuSans(-Bold)?")
# The operators a certificate's page uses (paths, colours, text); anything else — inline images
# (BI), images on a page with text, forms, clipping (W), marked/optional content, shadings,
# text scaling or rise (Tz, Ts), Type 3 glyphs — is not one of ours.
_OPERATORS = frozenset(
    b"q Q cm w J j M d m l c v y h re S s f F f* B B* b b* n rg RG g G k K "
    b"BT ET Tf TL Tm Td TD T* Tj TJ ' \" Tc Tw Tr gs Do".split()
)
_MIN_OPACITY = 0.05  # the watermark's 0.07 is the faintest ink a certificate uses
_VISIBLE_MODES = {0, 1, 2, 4, 5, 6}  # 3 draws nothing, 7 only clips
_TOKEN = re.compile(
    rb"\s+|%[^\r\n]*"  # white space, comments
    rb"|\((?:[^\\()]|\\.)*\)"  # a literal string (reportlab escapes its parentheses)
    rb"|<[0-9A-Fa-f\s]*>"  # a hex string
    rb"|/[^\s/\[\]()<>{}%]*"  # a name
    rb"|[-+]?(?:\d+\.?\d*|\.\d+)"  # a number
    rb"|[\[\]]"  # array brackets (TJ)
    rb"|[A-Za-z'\"*]+\d?\*?",  # an operator
    re.S,
)
_BOXES = ("/CropBox", "/TrimBox", "/ArtBox", "/BleedBox")
# The one image a page with text may draw: the issuer's emblem in the letterhead band at the top
# of the page (registry/pdf/branding.py), upright, at most 60 × 20 mm; registry.pdf.printed then
# requires that no line of text lies level with it, so it can cover none.
_MM = 72 / 25.4
EMBLEM_BAND = (841.89 - 55 * _MM, 841.89 - 13 * _MM)  # A4: bottom and top of the band, points
EMBLEM_MAX = (60 * _MM + 0.5, 20 * _MM + 0.5)
Box = tuple[float, float, float, float]  # left, bottom, right, top in page space


class _Refused(Exception):
    pass


def structure_problem(pdf: bytes) -> str | None:
    """Why ``pdf`` is not built like a certificate (English), or None when it is."""
    return structure(pdf)[0]


def structure(pdf: bytes) -> tuple[str | None, Box | None]:
    """``structure_problem``, and where the page draws its emblem (None: no image on a text page)."""
    import pypdf  # a PDF path only

    try:
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        if reader.is_encrypted:
            return "the document is encrypted", None
        root: Any = reader.trailer["/Root"].get_object()
        for key, why in (
            ("/AcroForm", "the document has form fields"),
            ("/OCProperties", "the document has optional content (layers)"),
        ):
            if key in root:
                return why, None
        if len(reader.pages) != 1:
            return f"the document has {len(reader.pages)} pages, a certificate has one", None
        page: Any = reader.pages[0]
        if page.get("/Annots"):
            return "an annotation is drawn over the page", None
        media = [float(v) for v in page.mediabox]
        for box in _BOXES:  # as a viewer reads them: inherited, and each defaulting to the crop box
            if [float(v) for v in getattr(page, box[1:].lower())] != media:
                return f"the page's {box[1:]} differs from its MediaBox (part of the page is hidden)", None
        if int(page.get("/Rotate", 0)) % 360 or "/UserUnit" in page:
            return "the page is rotated or rescaled", None
        fonts = _check_resources(page.get("/Resources"))
        content = _content(page)
        emblem = _check_content(content, fonts)
    except _Refused as refused:
        return str(refused), None
    except Exception as exc:  # untrusted input: any failure of the reader is a refusal, not a 500
        return f"the document cannot be read ({exc.__class__.__name__})", None
    return None, emblem


def _check_resources(resources: Any) -> set[bytes]:
    """The page's font resource names; refuses resources a certificate does not use."""
    resources = resources.get_object() if resources is not None else {}
    # Images only for a page without any text (a scan: its text cannot be checked, "unchecked");
    # on a page with text an image could cover it, so there ``Do`` is refused (_check_content).
    for image in _resolved(resources.get("/XObject")).values():
        if image.get_object().get("/Subtype") != "/Image":
            raise _Refused("the page draws a form over itself, which a certificate does not")
    extra = set(resources) - {"/Font", "/ProcSet", "/ExtGState", "/XObject"}
    if extra:
        raise _Refused(f"the page uses resources a certificate does not ({', '.join(sorted(extra))})")
    # The withdrawal watermark's transparency (/ca 0.07): only an opacity, never near zero.
    for state in _resolved(resources.get("/ExtGState")).values():
        state = state.get_object()
        if set(state) - {"/Type", "/ca", "/CA"} or not all(
            _MIN_OPACITY <= float(state[key]) <= 1 for key in ("/ca", "/CA") if key in state
        ):
            raise _Refused("the page uses a graphics state a certificate does not (e.g. invisible ink)")
    names: set[bytes] = set()
    for name, ref in _resolved(resources.get("/Font")).items():
        font = ref.get_object()
        base, subtype = str(font.get("/BaseFont")), font.get("/Subtype")
        dejavu = subtype == "/TrueType" and _DEJAVU.fullmatch(base) is not None
        helvetica = (
            subtype == "/Type1"
            and base == "/Helvetica"
            and "/ToUnicode" not in font
            and "/FontDescriptor" not in font
            and font.get("/Encoding", "/WinAnsiEncoding") == "/WinAnsiEncoding"
        )
        if not (dejavu or helvetica):
            raise _Refused(f"the page uses a font a certificate does not embed ({base})")
        names.add(name.encode("latin-1"))
    return names


def _content(page: Any) -> bytes:
    """The page's content streams decoded, refusing anything larger than MAX_CONTENT_BYTES."""
    from pypdf.filters import ASCII85Decode

    contents = page.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    streams = [s.get_object() for s in contents] if isinstance(contents, list) else [contents]
    out = bytearray()
    for stream in streams:
        filters = stream.get("/Filter", [])
        filters = [filters] if isinstance(filters, str) else list(filters)
        if stream.get("/DecodeParms") or any(f not in ("/ASCII85Decode", "/FlateDecode") for f in filters):
            raise _Refused("the page's content uses an encoding a certificate does not")
        data: bytes = stream._data  # the encoded bytes: decoded here, with a bound
        for name in filters:
            if name == "/ASCII85Decode":
                data = ASCII85Decode.decode(data)
            else:
                inflate = zlib.decompressobj()
                data = inflate.decompress(data, MAX_CONTENT_BYTES + 1 - len(out))
        out += data
        if len(out) > MAX_CONTENT_BYTES:
            raise _Refused(
                f"the page's content is larger than a certificate's (over {MAX_CONTENT_BYTES} bytes):"
                " not read"
            )
    return bytes(out)


def _times(m: Sequence[float], n: Sequence[float]) -> tuple[float, ...]:
    """The matrix product m × n of two PDF matrices [a b c d e f]."""
    a, b, c, d, e, f = m
    return (
        a * n[0] + b * n[2],
        a * n[1] + b * n[3],
        c * n[0] + d * n[2],
        c * n[1] + d * n[3],
        e * n[0] + f * n[2] + n[4],
        e * n[1] + f * n[3] + n[5],
    )


def _emblem_box(ctm: Sequence[float]) -> Box:
    """Where an image drawn under ``ctm`` lands; refused unless it is the letterhead's emblem."""
    a, b, c, d, e, f = ctm
    if b != 0 or c != 0 or a <= 0 or d <= 0 or a > EMBLEM_MAX[0] or d > EMBLEM_MAX[1]:
        raise _Refused("an image is drawn on a page with text, not as the letterhead's emblem")
    if f < EMBLEM_BAND[0] or f + d > EMBLEM_BAND[1]:
        raise _Refused("an image is drawn on a page with text outside the letterhead")
    return (e, f, e + a, f + d)


def _check_content(content: bytes, fonts: set[bytes]) -> Box | None:
    """One linear pass over the content's tokens: operators, render modes, fonts; the emblem's box."""
    operators = runs = 0
    ctm: tuple[float, ...] = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    saved: list[tuple[float, ...]] = []
    drawn: list[tuple[float, ...]] = []  # the transformation of each image drawn
    seen: set[bytes] = set()
    previous: list[bytes] = []  # the operands since the last operator
    position = 0
    for match in _TOKEN.finditer(content):
        if match.start() != position:
            raise _Refused("the page's content cannot be read as a certificate's")
        position = match.end()
        token = match.group()
        first = token[:1]
        if first.isspace() or first == b"%":
            continue
        if not (first.isalpha() or first in b"'\"") or token in (b"true", b"false", b"null"):
            previous.append(token)
            continue
        operators += 1
        if operators > MAX_OPERATORS:
            raise _Refused(f"the page draws more than {MAX_OPERATORS} operations: not read")
        seen.add(token)
        if token in _SHOWS:
            runs += 1
            if runs > MAX_TEXT_RUNS:
                raise _Refused(f"the page shows more than {MAX_TEXT_RUNS} runs of text: not read")
        if token not in _OPERATORS:
            raise _Refused(f"the page's content uses an operator a certificate does not ({token.decode()})")
        if token == b"Tr" and (len(previous) != 1 or _int(previous[0]) not in _VISIBLE_MODES):
            raise _Refused("text is drawn invisibly (text render mode 3 or 7)")
        if token == b"Tf" and (len(previous) != 2 or previous[0] not in fonts):
            raise _Refused("text is drawn with a font the page does not declare")
        if token == b"q":
            saved.append(ctm)
        elif token == b"Q" and saved:
            ctm = saved.pop()
        elif token == b"cm" and len(previous) == 6:
            ctm = _times([float(v) for v in previous], ctm)
        elif token == b"Do":
            drawn.append(ctm)
        previous = []
    if position != len(content):
        raise _Refused("the page's content cannot be read as a certificate's")
    if drawn and seen & {b"Tj", b"TJ", b"'", b'"'}:
        # On a page with text only the letterhead's one emblem (registry.pdf.printed checks that no
        # text lies level with it); any other image could cover the text.
        if len(drawn) > 1:
            raise _Refused("more than one image is drawn on a page with text (it may cover the text)")
        return _emblem_box(drawn[0])
    return None


def _resolved(value: Any) -> Any:
    return {} if value is None else value.get_object()


def _int(token: bytes) -> int | None:
    try:
        return int(token)
    except ValueError:
        return None
