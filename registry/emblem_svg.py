"""An SVG emblem turned into a PNG without running or fetching anything it names.

Three layers, each enough on its own for the worst cases:

1. defusedxml parses it, refusing any DOCTYPE (so no entity, external entity or "billion laughs"),
   and the walk stops at ``MAX_ELEMENTS`` elements or ``MAX_DEPTH`` levels of nesting.
2. Active content is refused, not cleaned up: ``<script>``, ``<foreignObject>``, any ``on…`` event
   attribute, any link that is not to an ``#id`` of the same file (``href``, ``xlink:href``,
   ``url(…)``, a style sheet's ``@import``), and ``<image>``. Everything else is rebuilt into a new
   document from an allow-list of drawing elements and presentation attributes; the rest
   (``<text>``, ``<use>``, ``<style>`` sheets, ``class``, filters, masks, editor metadata) is dropped.
3. resvg (Rust; no scripting, no network, no system fonts loaded) renders the rebuilt document at
   most ``RENDER_SIDE`` pixels a side, its aspect ratio kept, whatever size the file declares, in
   a child process killed after ``RENDER_SECONDS`` or ``RENDER_MEMORY`` bytes of address space.

The PNG it yields goes through the same decode and re-encode as an uploaded PNG (registry/emblem.py),
so only a re-encoded PNG is ever stored; the SVG is not.

This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from io import BytesIO

import defusedxml
from defusedxml.ElementTree import iterparse

from registry.core.errors import N_, FormatError

__all__ = ["MAX_DEPTH", "MAX_ELEMENTS", "RENDER_SECONDS", "RENDER_SIDE", "svg_to_png"]

MAX_ELEMENTS = 5000
MAX_DEPTH = 64
RENDER_SIDE = 512
# resvg's time grows with elements × pixels covered (about 3 ms a full-size shape here, 30 ms
# with group opacity), so 5,000 elements could hold a worker for minutes: the drawing runs in a
# child process with a wall-clock and an address-space limit, killed when it exceeds either.
RENDER_SECONDS = 15.0
RENDER_MEMORY = 1024 * 1024 * 1024
RENDERER = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
import resvg_py
svg = sys.stdin.buffer.read().decode("utf-8")
sys.stdout.buffer.write(bytes(resvg_py.svg_to_bytes(svg_string=svg, skip_system_fonts=True)))
"""

SVG_NS = "http://www.w3.org/2000/svg"
DRAWING = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}
CONTAINERS = {"svg", "g", "defs", "clipPath", "linearGradient", "radialGradient"}
KEPT = DRAWING | CONTAINERS | {"stop"}
# Elements whose mere presence refuses the file: they run code or pull in other content.
ACTIVE = {"script", "foreignObject", "image", "iframe", "embed", "object", "handler", "listener"}
PRESENTATION = {
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
    "stroke-dashoffset", "opacity", "clip-path", "clip-rule", "display", "visibility", "color",
    "stop-color", "stop-opacity",
}  # fmt: skip
GEOMETRY = {
    "id", "x", "y", "width", "height", "rx", "ry", "cx", "cy", "r", "fx", "fy", "fr", "x1", "y1",
    "x2", "y2", "points", "d", "transform", "offset", "gradientUnits", "gradientTransform",
    "spreadMethod", "clipPathUnits",
}  # fmt: skip
LOCAL_REF = re.compile(r"#[A-Za-z_][\w.\-]*")
URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
NUMBER = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px)?\s*")

ACTIVE_REFUSED = N_("the SVG emblem contains %(what)s; only drawings are accepted (see the README)")
EXTERNAL_REFUSED = N_("the SVG emblem refers to %(what)s outside the file; only #id links are accepted")


def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag or attribute name."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _parse(data: bytes) -> ET.Element:
    """The document tree, or FormatError; DTDs, oversized and over-deep documents are refused."""
    count = depth = 0
    try:
        parser = iterparse(BytesIO(data), events=("start", "end"), forbid_dtd=True)
        for event, _element in parser:
            if event == "end":
                depth -= 1
                continue
            count += 1
            depth += 1
            if count > MAX_ELEMENTS or depth > MAX_DEPTH:
                raise FormatError(
                    N_("the SVG emblem has more than %(count)d elements or %(depth)d levels of nesting"),
                    count=MAX_ELEMENTS,
                    depth=MAX_DEPTH,
                )
        root: ET.Element = parser.root
    except defusedxml.DefusedXmlException:
        raise FormatError(N_("the SVG emblem declares a DOCTYPE or entities, which are refused")) from None
    except ET.ParseError:
        raise FormatError(N_("the emblem is not a well-formed SVG file")) from None
    if _local(root.tag) not in ((SVG_NS, "svg"), ("", "svg")):
        raise FormatError(N_("the emblem is not a well-formed SVG file"))
    return root


def _check_value(value: str) -> None:
    """Refuses a value linking outside the file (``url(…)`` not to ``#id``, ``@import``)."""
    lowered = value.lower()
    if "@import" in lowered or "javascript:" in lowered:
        raise FormatError(EXTERNAL_REFUSED, what=value[:60])
    for match in URL.finditer(value):
        if not LOCAL_REF.fullmatch(match.group(2).strip()):
            raise FormatError(EXTERNAL_REFUSED, what=match.group(2)[:60])
    if "url(" in lowered.replace(" ", "") and not URL.search(value):
        raise FormatError(EXTERNAL_REFUSED, what=value[:60])


def _refuse_active(root: ET.Element) -> None:
    """Every element of the upload, kept or not, is looked at: active content refuses the file."""
    for element in root.iter():
        _, tag = _local(element.tag) if isinstance(element.tag, str) else ("", "")
        if tag in ACTIVE:
            raise FormatError(ACTIVE_REFUSED, what=f"<{tag}>")
        if tag == "style" and element.text:
            _check_value(element.text)
        for name, value in element.attrib.items():
            namespace, local = _local(name)
            if local.lower().startswith("on") and namespace in ("", SVG_NS):
                raise FormatError(ACTIVE_REFUSED, what=f"{local}=")
            if local == "href" and not LOCAL_REF.fullmatch(value.strip()):
                raise FormatError(EXTERNAL_REFUSED, what=value[:60])
            if namespace in ("", SVG_NS):
                _check_value(value)


def _style(value: str) -> str:
    """A ``style`` attribute with only the allowed presentation properties left."""
    kept = []
    for declaration in value.split(";"):
        prop, _, prop_value = declaration.partition(":")
        # A CSS escape (``\75 rl(``) could spell what _check_value looks for: such a value goes.
        if prop.strip().lower() in PRESENTATION and prop_value.strip() and "\\" not in prop_value:
            kept.append(f"{prop.strip().lower()}:{prop_value.strip()}")
    return ";".join(kept)


def _rebuild(source: ET.Element, drawn: list[int]) -> ET.Element | None:
    namespace, tag = _local(source.tag) if isinstance(source.tag, str) else ("?", "")
    if namespace not in ("", SVG_NS) or tag not in KEPT:
        return None
    copy = ET.Element(tag)
    for name, value in source.attrib.items():
        attr_ns, local = _local(name)
        if local == "href" and tag in ("linearGradient", "radialGradient"):
            copy.set("href", value.strip())  # checked by _refuse_active: an #id of this file
        elif attr_ns not in ("", SVG_NS):
            continue
        elif local in GEOMETRY or local in PRESENTATION:
            copy.set(local, value)
        elif local == "style" and (style := _style(value)):
            copy.set("style", style)
    if tag in DRAWING:
        drawn[0] += 1
    for child in source:
        rebuilt = _rebuild(child, drawn)
        if rebuilt is not None:
            copy.append(rebuilt)
    return copy


def _length(value: str | None) -> float | None:
    match = NUMBER.fullmatch(value or "")
    return float(match.group(1)) if match else None


def _frame(root: ET.Element, source: ET.Element) -> None:
    """The root sized to fit RENDER_SIDE with its aspect ratio, whatever size the upload declares."""
    box = [
        float(n) for n in re.findall(r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?", source.get("viewBox", ""))
    ]
    if len(box) == 4 and box[2] > 0 and box[3] > 0:
        width, height = box[2], box[3]
    else:
        declared = _length(source.get("width")), _length(source.get("height"))
        if not (declared[0] and declared[1]):
            raise FormatError(N_("the SVG emblem needs a viewBox or a width and height in pixels"))
        width, height = declared[0], declared[1]
        box = [0.0, 0.0, width, height]
    scale = RENDER_SIDE / max(width, height)
    root.set("viewBox", " ".join(f"{n:g}" for n in box))
    root.set("width", str(max(1, round(width * scale))))
    root.set("height", str(max(1, round(height * scale))))
    root.set("xmlns", SVG_NS)
    for attr in ("x", "y"):
        root.attrib.pop(attr, None)


def svg_to_png(data: bytes) -> bytes:
    """The SVG drawn as a PNG of at most RENDER_SIDE a side; FormatError when it is refused."""
    source = _parse(data)
    _refuse_active(source)
    drawn = [0]
    root = _rebuild(source, drawn)
    if root is None or drawn[0] == 0:
        raise FormatError(N_("the SVG emblem has no shapes to draw (text must be converted to paths)"))
    _frame(root, source)
    return _render(ET.tostring(root, encoding="unicode"))


def _render(svg: str) -> bytes:
    """resvg's PNG of the rebuilt document, drawn in a child process (see RENDER_SECONDS)."""
    try:
        done = subprocess.run(  # noqa: S603 - this interpreter, a fixed program; the SVG goes on stdin
            [sys.executable, "-I", "-c", RENDERER, str(RENDER_MEMORY)],
            input=svg.encode("utf-8"),
            capture_output=True,
            timeout=RENDER_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise FormatError(
            N_("the SVG emblem takes more than %(seconds)d seconds to draw; simplify it or upload a PNG"),
            seconds=RENDER_SECONDS,
        ) from None
    if done.returncode != 0 or not done.stdout:
        raise FormatError(N_("the SVG emblem could not be drawn"))
    return done.stdout
