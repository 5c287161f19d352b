"""An SVG emblem: drawn into a re-encoded PNG (the only thing stored), printed like a PNG one, and
refused when it carries scripts, DTDs, outside links or more elements than a drawing needs."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from registry import emblem_svg
from registry.core.errors import FormatError
from registry.emblem import sanitise_emblem
from registry.extensions import db
from registry.models import Emblem
from registry.services import commitments
from registry.services import roll as roll_service
from tests.conftest import sign_in
from tests.factories import DEMO
from tests.test_branding import (
    ISSUER,
    certificate_of,
    draft_v2,
    image_objects,
    pdf_text,
    sign_one,
    stored_state,
    upload,
)

SVG = "http://www.w3.org/2000/svg"
EMBLEM = f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="{SVG}" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="300mm"
     height="200mm" viewBox="0 0 300 200">
  <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about="http://x"/></metadata>
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1b365d"/>
    <stop offset="1" style="stop-color:#c8102e"/></linearGradient></defs>
  <g inkscape:label="Lapis 1">
    <circle cx="150" cy="100" r="90" fill="url(#g)"/>
    <rect x="100" y="60" width="100" height="80" style="fill:#ffd700;stroke:#000;stroke-width:4"/>
    <path d="M150 20 L230 180 L70 180 Z" fill="none" stroke="white" stroke-width="6"/>
    <text x="10" y="20">PURBALINGGA</text>
  </g>
</svg>""".encode()


def drawing(inner: str, head: str = "", attrs: str = 'viewBox="0 0 100 100"') -> bytes:
    """A small SVG with a visible square and ``inner`` added."""
    return (f'{head}<svg xmlns="{SVG}" xmlns:xlink="http://www.w3.org/1999/xlink" {attrs}>'
            f'<rect x="10" y="10" width="80" height="80" fill="#1b365d"/>{inner}</svg>').encode()  # fmt: skip


def png_of(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A local TCP server recording every connection: proof that no reference was fetched."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                received.append(conn.recv(1024))

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}", received
    stop.set()
    thread.join()
    server.close()


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_an_uploaded_svg_is_stored_as_a_png_and_printed(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    draft_v2(app)
    status, page = upload(app, client, EMBLEM, "lambang.svg")
    assert status == 303, page[:500]
    emblems, _, sha = stored_state(app)
    assert emblems == 1 and sha is not None
    with app.app_context():
        stored = db.session.get(Emblem, sha)
        assert stored is not None
        png = bytes(stored.png)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and hashlib.sha256(png).hexdigest() == sha
    assert b"svg" not in png.lower() and b"PURBALINGGA" not in png
    image = png_of(png)
    # 300 × 200 drawn at most 512 a side, the aspect ratio kept; the gradient's two ends are there.
    assert image.format == "PNG" and image.size == (512, 341) and not image.text
    rgba = image.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0  # outside the circle: transparent
    assert rgba.getpixel((256, 170))[:3] == (255, 215, 0)  # the yellow rect
    top_left, bottom_right = rgba.getpixel((140, 80)), rgba.getpixel((390, 150))
    assert top_left[2] > top_left[0] and bottom_right[0] > bottom_right[2]  # blue → red

    with app.app_context():
        commitments.publish(DEMO, 2)
    served = client.get(f"/emblem/{sha}.png")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == png
    record_id, _code = sign_one(app)
    certificate = certificate_of(app, record_id)
    assert image_objects(certificate) == 1 and ISSUER in pdf_text(certificate)
    with app.app_context():
        assert image_objects(roll_service.roll_pdf(DEMO, 2)) == 1


def test_the_admin_form_offers_svg(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "admin")
    draft_v2(app)
    page = client.get(f"/admin/commitments/{DEMO}/versions/2").get_data(as_text=True)
    assert 'accept="image/png,image/svg+xml"' in page and "PNG atau SVG" in page


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_a_giant_declared_size_is_drawn_at_512_pixels() -> None:
    giant = '<rect x="25000" y="25000" width="50000" height="50000" fill="#1b365d"/>'
    emblem = sanitise_emblem(drawing(giant, attrs='width="100000" height="100000"'))
    assert (emblem.width, emblem.height) == (512, 512)
    assert png_of(emblem.png).convert("RGBA").getpixel((256, 256)) == (27, 54, 93, 255)
    tall = sanitise_emblem(drawing("", attrs='width="1" height="4" viewBox="0 0 50 200"'))
    assert (tall.width, tall.height) == (128, 512)


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_dropped_parts_leave_only_the_drawing() -> None:
    """Text, <use>, style sheets and classes are dropped; the same drawing without them is equal."""
    plain = sanitise_emblem(drawing(""))
    extras = '<style>rect { fill: red }</style><text x="5" y="5">teks</text><use href="#r"/><desc>d</desc>'
    assert sanitise_emblem(drawing(extras)).png == plain.png
    with pytest.raises(FormatError, match="no shapes"):
        sanitise_emblem(f'<svg xmlns="{SVG}" viewBox="0 0 10 10"><text>hanya teks</text></svg>'.encode())


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_a_style_sheet_instruction_is_dropped_unread(listener: tuple[str, list[bytes]]) -> None:
    host, received = listener
    sheet = f'<?xml version="1.0"?><?xml-stylesheet type="text/css" href="http://{host}/gaya.css"?>'
    assert sanitise_emblem(drawing("", head=sheet)).png == sanitise_emblem(drawing("")).png
    assert received == []


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_a_drawing_that_outlasts_its_time_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child process drawing it is killed at RENDER_SECONDS (here shorter than any start-up)."""
    monkeypatch.setattr(emblem_svg, "RENDER_SECONDS", 0.001)
    with pytest.raises(FormatError, match="seconds to draw"):
        sanitise_emblem(EMBLEM)


def _laughs() -> str:
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>'


HOSTILE = {
    "script": (drawing("<script>alert(document.cookie)</script>"), "memuat &lt;script&gt;"),
    "onload": (drawing("", attrs='viewBox="0 0 100 100" onload="alert(1)"'), "memuat onload="),
    "onclick-nested": (drawing('<g><circle r="5" onclick="alert(1)"/></g>'), "memuat onclick="),
    "xxe": (
        drawing(
            "<desc>&x;</desc>",
            head='<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        ),
        "DOCTYPE",
    ),
    "billion-laughs": (drawing("<desc>&a9;</desc>", head=_laughs()), "DOCTYPE"),
    "image-file": (
        drawing('<image href="file:///etc/passwd" width="10" height="10"/>'),
        "memuat &lt;image&gt;",
    ),
    "image-http": (
        drawing('<image xlink:href="http://{host}/x.png" width="9" height="9"/>'),
        "&lt;image&gt;",
    ),
    "foreign-object": (
        drawing(
            '<foreignObject width="50" height="50"><p xmlns="http://www.w3.org/1999/xhtml">hai</p></foreignObject>'
        ),
        "&lt;foreignObject&gt;",
    ),
    "use-external": (drawing('<use href="http://{host}/lambang.svg#a"/>'), "di luar berkas"),
    "use-file": (drawing('<use xlink:href="lain.svg#a"/>'), "di luar berkas"),
    "css-import": (drawing("<style>@import url(http://{host}/gaya.css);</style>"), "di luar berkas"),
    "fill-url": (drawing('<circle r="9" fill="url(http://{host}/p.svg#g)"/>'), "di luar berkas"),
    "style-url": (drawing('<circle r="9" style="fill:url(\'http://{host}/p#g\')"/>'), "di luar berkas"),
    "javascript-href": (drawing('<a href="javascript:alert(1)"><circle r="9"/></a>'), "di luar berkas"),
    "many-elements": (drawing("<g/>" * 100_000), "5000 elemen"),
    "deep": (drawing("<g>" * 200 + "</g>" * 200), "tingkat"),
    "not-svg": (b'<?xml version="1.0"?><html><body>bukan</body></html>', "bukan berkas SVG"),
    "broken": (drawing("<g>"), "bukan berkas SVG"),
    "no-size": (f'<svg xmlns="{SVG}" width="100%"><circle r="5"/></svg>'.encode(), "viewBox"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_svg_is_refused_nothing_stored_nothing_fetched(
    app: Flask, client: FlaskClient, listener: tuple[str, list[bytes]], case: str
) -> None:
    host, received = listener
    data, message = HOSTILE[case]
    data = data.replace(b"{host}", host.encode())
    assert len(data) <= 1024 * 1024
    sign_in(app, client, "admin")
    draft_v2(app)
    before = stored_state(app)
    status, page = upload(app, client, data, "lambang.svg")
    assert status == 400, page[:500]
    assert message in page, page[:2000]
    assert stored_state(app) == before == (0, before[1], None)
    assert received == []
