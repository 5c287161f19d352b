"""Reading a certificate's attachments back: a small, strict parser for the PDFs Ikrar writes.

``extract_attachments`` returns the files of the EmbeddedFiles name tree that
registry.pdf.attachments writes (``record.json``, ``record.sig``, ``receipt.tlog-proof``). It
uses the standard library only, so offline verification (``ikrar verify FILE.pdf``) loads no
PDF writer, no QR encoder and no Flask.
"""

from __future__ import annotations

import re
import zlib
from typing import Any, NamedTuple

from registry.core.errors import FormatError

__all__ = ["extract_attachments"]

# Limits of what extract_attachments accepts (the files it reads are small).
_MAX_ATTACHMENTS = 16
_MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024
_MAX_PDF_BYTES = 64 * 1024 * 1024


class _Ref(NamedTuple):
    number: int
    generation: int


class _Name(str):
    __slots__ = ()


_WHITESPACE = b"\x00\t\n\x0c\r "
_DELIMITERS = b"()<>[]{}/%"
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_INT = re.compile(rb"\d+")
_SIGNED_INT = re.compile(rb"[+-]?\d+")
_REF = re.compile(rb"(\d{1,10})[ \t\r\n]+(\d{1,5})[ \t\r\n]+R(?![A-Za-z])")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])[ \r\n]{2}")


class _Parser:
    """PDF objects from bytes: classic xref table, no incremental updates, no encryption."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf
        self.offsets: dict[int, int] = {}
        self.resolving: set[int] = set()

    # -- lexical level --
    def skip(self, pos: int) -> int:
        pdf = self.pdf
        while pos < len(pdf):
            if pdf[pos] in _WHITESPACE:
                pos += 1
            elif pdf[pos] == ord("%"):
                while pos < len(pdf) and pdf[pos] not in b"\r\n":
                    pos += 1
            else:
                break
        return pos

    def expect(self, pos: int, token: bytes) -> int:
        pos = self.skip(pos)
        if not self.pdf.startswith(token, pos):
            raise FormatError(f"PDF: expected {token.decode()!r} at byte {pos}")
        return pos + len(token)

    def integer(self, pos: int) -> tuple[int, int]:
        pos = self.skip(pos)
        match = _INT.match(self.pdf, pos)
        if not match or len(match.group()) > 12:
            raise FormatError(f"PDF: expected an integer at byte {pos}")
        return int(match.group()), match.end()

    def value(self, pos: int, depth: int = 0) -> tuple[Any, int]:
        if depth > 32:
            raise FormatError("PDF: objects nested too deeply")
        pdf = self.pdf
        pos = self.skip(pos)
        if pos >= len(pdf):
            raise FormatError("PDF: unexpected end of file")
        if pdf.startswith(b"<<", pos):
            result: dict[str, Any] = {}
            pos += 2
            while True:
                pos = self.skip(pos)
                if pdf.startswith(b">>", pos):
                    return result, pos + 2
                key, pos = self.value(pos, depth + 1)
                if not isinstance(key, _Name):
                    raise FormatError(f"PDF: dictionary key is not a name at byte {pos}")
                if key in result:
                    raise FormatError(f"PDF: duplicate dictionary key /{key}")
                result[key], pos = self.value(pos, depth + 1)
        if pdf[pos] == ord("["):
            items: list[Any] = []
            pos += 1
            while True:
                pos = self.skip(pos)
                if pdf.startswith(b"]", pos):
                    return items, pos + 1
                item, pos = self.value(pos, depth + 1)
                items.append(item)
        if pdf[pos] == ord("/"):
            end = pos + 1
            while end < len(pdf) and pdf[end] not in _WHITESPACE and pdf[end] not in _DELIMITERS:
                end += 1
            raw = pdf[pos + 1 : end]
            name = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
            return _Name(name.decode("latin-1")), end
        if pdf[pos] == ord("("):
            return self.literal_string(pos)
        if pdf[pos] == ord("<"):
            end = pdf.find(b">", pos)
            if end < 0:
                raise FormatError("PDF: unterminated hex string")
            digits = bytes(b for b in pdf[pos + 1 : end] if b not in _WHITESPACE)
            if len(digits) % 2:
                digits += b"0"
            try:
                return bytes.fromhex(digits.decode("ascii")), end + 1
            except ValueError as exc:
                raise FormatError("PDF: malformed hex string") from exc
        for word, constant in ((b"true", True), (b"false", False), (b"null", None)):
            if pdf.startswith(word, pos):
                return constant, pos + len(word)
        match = _NUMBER.match(pdf, pos)
        if not match:
            raise FormatError(f"PDF: unexpected byte {pdf[pos : pos + 1]!r} at {pos}")
        text = match.group()
        if _INT.fullmatch(text):
            # Maybe an indirect reference "N G R".
            ref = _REF.match(pdf, pos)
            if ref:
                return _Ref(int(ref.group(1)), int(ref.group(2))), ref.end()
            return int(text), match.end()
        try:
            return (int(text) if _SIGNED_INT.fullmatch(text) else float(text)), match.end()
        except ValueError as exc:
            raise FormatError("PDF: malformed number") from exc

    def literal_string(self, pos: int) -> tuple[bytes, int]:
        pdf = self.pdf
        out = bytearray()
        depth = 0
        pos += 1
        escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
        while pos < len(pdf):
            ch = pdf[pos]
            if ch == ord("\\"):
                pos += 1
                if pos >= len(pdf):
                    break
                esc = pdf[pos]
                if esc in escapes:
                    out += escapes[esc]
                    pos += 1
                elif esc in b"01234567":
                    match = _OCTAL.match(pdf, pos)
                    assert match is not None
                    out.append(int(match.group(), 8) & 0xFF)
                    pos = match.end()
                elif esc in b"\r\n":  # line continuation
                    pos += 2 if pdf.startswith(b"\r\n", pos) else 1
                else:
                    out.append(esc)
                    pos += 1
                continue
            if ch == ord("("):
                depth += 1
            elif ch == ord(")"):
                if depth == 0:
                    return bytes(out), pos + 1
                depth -= 1
            out.append(ch)
            pos += 1
        raise FormatError("PDF: unterminated string")

    # -- file structure --
    def read_xref(self) -> dict[str, Any]:
        pdf = self.pdf
        if not pdf.startswith(b"%PDF-1."):
            raise FormatError("not a PDF file")
        tail = pdf.rstrip(b"\r\n \x00")
        if not tail.endswith(b"%%EOF"):
            raise FormatError("PDF: no %%EOF at the end of the file")
        start = pdf.rfind(b"startxref", max(0, len(pdf) - 2048))
        if start < 0:
            raise FormatError("PDF: no startxref")
        xref_at, pos = self.integer(start + len(b"startxref"))
        if pdf[pos:].strip(b"\r\n \x00") != b"%%EOF":
            raise FormatError("PDF: unexpected data after startxref (modified PDF?)")
        if not 0 < xref_at < len(pdf) or not pdf.startswith(b"xref", xref_at):
            raise FormatError("PDF: startxref does not point at a cross-reference table (modified PDF?)")
        pos = xref_at + 4
        while True:
            pos = self.skip(pos)
            if pdf.startswith(b"trailer", pos):
                break
            first, pos = self.integer(pos)
            count, pos = self.integer(pos)
            if count > 100_000:
                raise FormatError("PDF: cross-reference section too large")
            pos = self.skip(pos)
            for i in range(count):
                entry = pdf[pos : pos + 20]
                match = _XREF_ENTRY.fullmatch(entry)
                if not match:
                    raise FormatError(f"PDF: malformed cross-reference entry at byte {pos}")
                if match.group(3) == b"n":
                    self.offsets[first + i] = int(match.group(1))
                pos += 20
        trailer, _ = self.value(pos + len(b"trailer"))
        if not isinstance(trailer, dict):
            raise FormatError("PDF: malformed trailer")
        for refused in ("Prev", "Encrypt", "XRefStm"):
            if refused in trailer:
                raise FormatError(f"PDF: /{refused} in the trailer: modified, or not an Ikrar certificate")
        return trailer

    def resolve(self, value: Any) -> Any:
        if not isinstance(value, _Ref):
            return value
        obj, _ = self.indirect(value)
        return obj

    def indirect(self, ref: _Ref) -> tuple[Any, int]:
        """The object ``ref`` points at, and the position just after it (before any stream)."""
        offset = self.offsets.get(ref.number)
        if offset is None or ref.number in self.resolving:
            raise FormatError(f"PDF: object {ref.number} is missing or refers to itself")
        self.resolving.add(ref.number)
        try:
            number, pos = self.integer(offset)
            generation, pos = self.integer(pos)
            if (number, generation) != (ref.number, ref.generation):
                raise FormatError(f"PDF: object {ref.number} is not where the cross-reference table says")
            pos = self.expect(pos, b"obj")
            obj, pos = self.value(pos)
            return self.resolve(obj), pos
        finally:
            self.resolving.discard(ref.number)

    def stream(self, ref: Any) -> bytes:
        if not isinstance(ref, _Ref):
            raise FormatError("PDF: an embedded file must be an indirect stream")
        head, pos = self.indirect(ref)
        if not isinstance(head, dict):
            raise FormatError("PDF: an embedded file is not a stream")
        pos = self.expect(pos, b"stream")
        if self.pdf.startswith(b"\r\n", pos):
            pos += 2
        elif self.pdf.startswith(b"\n", pos):
            pos += 1
        else:
            raise FormatError("PDF: malformed stream start")
        length = self.resolve(head.get("Length"))
        if type(length) is not int or not 0 <= length <= min(_MAX_ATTACHMENT_BYTES, len(self.pdf) - pos):
            raise FormatError("PDF: embedded file has an invalid /Length")
        raw = self.pdf[pos : pos + length]
        end = self.skip(pos + length)
        if not self.pdf.startswith(b"endstream", end):
            raise FormatError("PDF: embedded file stream does not end where its /Length says")
        if head.get("Type") not in (None, "EmbeddedFile"):
            raise FormatError("PDF: the stream is not an embedded file")
        filters = self.resolve(head.get("Filter"))
        if isinstance(filters, _Name):
            filters = [filters]
        if filters in (None, []):
            data = raw
        elif filters == ["FlateDecode"] and "DecodeParms" not in head:
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(raw, _MAX_ATTACHMENT_BYTES + 1)
            except zlib.error as exc:
                raise FormatError("PDF: corrupt compressed embedded file") from exc
            if len(data) > _MAX_ATTACHMENT_BYTES or not inflater.eof:
                raise FormatError("PDF: embedded file too large or truncated")
        else:
            raise FormatError(f"PDF: unsupported stream filter {filters!r}")
        params = self.resolve(head.get("Params"))
        if isinstance(params, dict) and "Size" in params and self.resolve(params["Size"]) != len(data):
            raise FormatError("PDF: embedded file size differs from its /Params /Size")
        return data


def _file_name(raw: Any) -> str:
    if not isinstance(raw, bytes):
        raise FormatError("PDF: an attachment name is not a string")
    try:
        if raw.startswith(b"\xfe\xff"):
            return raw[2:].decode("utf-16-be")
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise FormatError("PDF: an attachment name is not readable text") from exc


def extract_attachments(pdf: bytes) -> dict[str, bytes]:
    """The files attached to a certificate PDF (EmbeddedFiles name tree), by name.

    Accepts exactly the structure ``render_certificate`` writes (classic cross-reference table,
    a flat EmbeddedFiles name tree, uncompressed or Flate streams); a PDF re-saved with other
    structures (incremental update, object streams, encryption) is refused with FormatError
    rather than read loosely. A re-save that keeps these structures (pypdf's
    ``PdfWriter(clone_from=…)``) is read: it is not refused here, and what its page shows is
    checked by registry.pdf.printed_structure and registry.pdf.printed.
    """
    if not isinstance(pdf, bytes | bytearray | memoryview):
        raise FormatError("a PDF is bytes")
    pdf = bytes(pdf)
    if len(pdf) > _MAX_PDF_BYTES:
        raise FormatError("PDF too large")
    parser = _Parser(pdf)
    try:
        trailer = parser.read_xref()
        root = parser.resolve(trailer.get("Root"))
        names = parser.resolve(root.get("Names")) if isinstance(root, dict) else None
        tree = parser.resolve(names.get("EmbeddedFiles")) if isinstance(names, dict) else None
        if tree is None:
            return {}
        if not isinstance(tree, dict) or "Kids" in tree:
            raise FormatError("PDF: EmbeddedFiles must be a single flat name tree node")
        entries = parser.resolve(tree.get("Names"))
        if not isinstance(entries, list) or len(entries) % 2 or len(entries) > 2 * _MAX_ATTACHMENTS:
            raise FormatError("PDF: malformed EmbeddedFiles /Names array")
        result: dict[str, bytes] = {}
        for key, spec_ref in zip(entries[::2], entries[1::2], strict=True):
            name = _file_name(parser.resolve(key))
            if name in result:
                raise FormatError(f"PDF: attachment {name!r} appears twice")
            spec = parser.resolve(spec_ref)
            if not isinstance(spec, dict):
                raise FormatError(f"PDF: attachment {name!r} has no file specification")
            for field in ("UF", "F"):
                if field in spec and _file_name(parser.resolve(spec[field])) != name:
                    raise FormatError(f"PDF: attachment {name!r} names a different file in /{field}")
            ef = parser.resolve(spec.get("EF"))
            if not isinstance(ef, dict) or "F" not in ef:
                raise FormatError(f"PDF: attachment {name!r} has no embedded file")
            result[name] = parser.stream(ef["F"])
        return result
    except RecursionError as exc:
        raise FormatError("PDF: objects nested too deeply") from exc
    except (IndexError, ValueError, TypeError, AttributeError) as exc:
        raise FormatError(f"PDF: malformed file ({exc.__class__.__name__})") from exc
