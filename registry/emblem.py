"""An issuer's emblem, as uploaded by an admin, made safe to store, serve and print.

Only PNG is accepted. The upload is never stored as sent: its header is read first (a
decompression bomb is refused from the dimensions it declares, before any pixel is decoded), then
Pillow decodes it and the pixels alone are copied into a new RGBA image, scaled to fit
``MAX_SIDE`` and encoded afresh, so no chunk of the upload (text, EXIF, ICC profile, anything
after IEND) survives. The result is deterministic for one Pillow version, and its SHA-256 is what
the commitment version binds (docs/FORMATS.md §4).

An SVG is first drawn into a PNG by registry/emblem_svg.py (defusedxml, an allow-list rebuild
that refuses scripts and outside links, then resvg at most 512 pixels a side); that PNG then takes
the same path as an uploaded one, so only a re-encoded PNG is ever stored, never the SVG.

This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import struct
import warnings
from dataclasses import dataclass
from io import BytesIO

from PIL import Image

from registry.core.errors import N_, FormatError
from registry.emblem_svg import svg_to_png

__all__ = [
    "MAX_SIDE",
    "MAX_STORED_BYTES",
    "MAX_UPLOAD_BYTES",
    "SanitisedEmblem",
    "sanitise_emblem",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_UPLOAD_BYTES = 1024 * 1024
MAX_SOURCE_SIDE = 4096
# 16 MiB of RGBA once decoded: the most a 1 MiB upload may make the server hold.
MAX_SOURCE_PIXELS = 2048 * 2048
MAX_SIDE = 512
MAX_STORED_BYTES = 256 * 1024


@dataclass(frozen=True)
class SanitisedEmblem:
    png: bytes
    width: int
    height: int
    sha256: str


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and (b"<svg" in head or head.startswith(b"<?xml") or b"<!doctype" in head)


def _declared_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG must begin with."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise FormatError(N_("the emblem is not a valid PNG image"))
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _encode(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def sanitise_emblem(data: bytes) -> SanitisedEmblem:
    """The emblem re-encoded as a metadata-free PNG of at most MAX_SIDE × MAX_SIDE; else FormatError."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise FormatError(N_("the emblem file is larger than %(kib)d KiB"), kib=MAX_UPLOAD_BYTES // 1024)
    if _looks_like_svg(data):
        data = svg_to_png(data)
    if not data.startswith(PNG_SIGNATURE):
        raise FormatError(N_("the emblem is not a PNG or SVG image"))
    width, height = _declared_size(data)
    if (
        not (0 < width <= MAX_SOURCE_SIDE and 0 < height <= MAX_SOURCE_SIDE)
        or width * height > MAX_SOURCE_PIXELS
    ):
        raise FormatError(
            N_(
                "the emblem is %(width)d × %(height)d pixels; "
                "at most %(side)d pixels a side and %(mp)d megapixels"
            ),
            width=width,
            height=height,
            side=MAX_SOURCE_SIDE,
            mp=MAX_SOURCE_PIXELS // 1_000_000,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=["PNG"]) as source:
                if source.size != (width, height) or getattr(source, "n_frames", 1) != 1:
                    raise FormatError(N_("the emblem is not a valid PNG image"))
                source.load()
                rgba = source.convert("RGBA")
    except FormatError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError, Warning):
        raise FormatError(N_("the emblem is not a valid PNG image")) from None
    # Only the pixels go on: a fresh image carries none of the upload's chunks.
    clean = Image.frombytes("RGBA", rgba.size, rgba.tobytes())
    bbox = clean.getchannel("A").getbbox()
    if bbox is None:
        raise FormatError(N_("the emblem is fully transparent"))
    for side in (MAX_SIDE, MAX_SIDE // 2):
        scaled = clean.copy()
        scaled.thumbnail((side, side), Image.Resampling.LANCZOS)
        png = _encode(scaled)
        if len(png) <= MAX_STORED_BYTES:
            return SanitisedEmblem(png, scaled.width, scaled.height, hashlib.sha256(png).hexdigest())
    raise FormatError(
        N_("the emblem is too detailed to store in %(kib)d KiB; use a simpler image"),
        kib=MAX_STORED_BYTES // 1024,
    )
