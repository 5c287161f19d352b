"""The printed name is the signed name: every text that prints on a certificate or the roll is either
drawn faithfully (a glyph in the embedded font, a text layer that extracts to the same characters) or
refused where it is accepted (signing API, kiosk walk-in, CSV import, commitment), naming the character.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from datetime import date
from typing import Any

import pypdfium2
import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry import demo
from registry.core.keys import Signer
from registry.pdf import printable
from registry.pdf.certificate import render_certificate
from registry.services import commitments, invitees
from registry.services import roll as roll_service
from registry.services.errors import InvalidInput
from registry.services.text import require_printable
from tests.factories import DEMO, scribble
from tests.test_certificate import make_data
from tests.test_kiosk import enrol
from tests.test_kiosk import sign as kiosk_sign

PATH = f"/api/v1/commitments/{DEMO}/signatures"

# Accepted: printed with the embedded DejaVu Sans (regular and bold), text layer exact.
ACCEPTED = [
    "Ségara",
    "Ádám Kovács",
    "Muẓaffar",
    "Nur’aini",
    "Élise Ñúñez",
    "Nguyễn Thị Minh Khai",
    unicodedata.normalize("NFD", "Nguyễn Thị Minh Khai"),  # signed as NFC
    "Αλέξανδρος Παπαδόπουλος",  # Greek
    "Сергей Иванович Петров",  # Cyrillic
    "Ǆemal Ŋaŋa Ʒora",  # rare Latin DejaVu has
]
# Refused: (name, the first character that cannot be printed faithfully).
REFUSED = [
    ("Ꞔenny Wijaya", 0xA7C4),  # rare Latin without a glyph in DejaVu
    ("Ayu 🌺", 0x1F33A),  # emoji
    ("\U0001d400yu Lestari", 0x1D400),  # mathematical bold capital A: outside the BMP
    ("Ayu \U0001f600", 0x1F600),  # an emoji DejaVu does have, refused as outside the BMP
    ("محمد عبد الله", 0x0645),  # Arabic: no bidi/shaping in the renderer
    ("דוד לוי", 0x05D3),  # Hebrew
    ("王小明", 0x738B),  # CJK
    # Soft hyphen, zero-width joiner, direction marks and private use are refused earlier, in every
    # field, as invisible characters: tests/test_unicode_names.py.
]


def device_token(app: Flask) -> str:
    with app.app_context():
        from registry.services import credentials

        return credentials.issue("device", "tablet 1", commitment=DEMO).token


def signing_body(
    name: str, position: str = "Kepala Seksi", institution: str = "Dinas Kominfo"
) -> dict[str, Any]:
    return {
        "signatory": {
            "name": name,
            "position": position,
            "institution": institution,
            "category": "pemerintah",
        },
        "dimensions": ["smart-governance"],
        "consent": {"accepted": True, "public_display": True},
        "strokes": scribble(5),
    }


def post(client: FlaskClient, token: str, body: dict[str, Any], lang: str = "en") -> Any:
    return client.post(
        PATH,
        data=json.dumps(body),
        content_type="application/json",
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": uuid.uuid4().hex,
            "Accept-Language": lang,
        },
    )


def page_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(texts)
    finally:
        document.close()


def joined(text: str) -> str:
    """NFC text with whitespace removed: wrapped lines join up whatever the break did to spaces."""
    return "".join(unicodedata.normalize("NFC", text).split())


def names_the_character(message: str, code: int) -> bool:
    return f"U+{code:04X}" in message and unicodedata.name(chr(code), "PRIVATE USE CHARACTER") in message


# -- the signing API ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ACCEPTED, ids=lambda n: n.encode("unicode_escape").decode()[:24])
def test_accepted_text_prints_exactly_on_the_certificate(app: Flask, client: FlaskClient, name: str) -> None:
    token = device_token(app)
    position, institution = f"Staf {name}", f"Lembaga {name}"
    response = post(client, token, signing_body(name, position, institution))
    assert response.status_code == 201, response.get_json()
    record = response.get_json()["record"]
    signed = record["signatory"]
    assert signed["name"] == unicodedata.normalize("NFC", name)
    pdf = client.get(_path(response.get_json()["certificate_url"]))
    assert pdf.status_code == 200, pdf.data[:200]
    text = page_text(pdf.data)
    assert "\ufffd" not in text  # no character replaced for want of a glyph
    for value in (signed["name"], signed["position"], signed["institution"]):
        assert joined(value) in joined(text)
    # The name itself, the signature caption, and inside position and institution.
    assert joined(text).count(joined(signed["name"])) == 4
    # Every character has a glyph in both faces the certificate draws text with.
    assert all(ord(ch) in printable.covered() or ch == " " for ch in signed["name"])


@pytest.mark.parametrize(("name", "code"), REFUSED, ids=lambda v: f"U+{v:04X}" if isinstance(v, int) else "")
def test_unprintable_name_is_refused_naming_the_character(
    app: Flask, client: FlaskClient, name: str, code: int
) -> None:
    token = device_token(app)
    response = post(client, token, signing_body(name))
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert problem["field"] == "name"
    assert names_the_character(problem["detail"], code), problem["detail"]
    assert "certificate" in problem["detail"]


@pytest.mark.parametrize("field", ["position", "institution"])
def test_position_and_institution_are_checked_too(app: Flask, client: FlaskClient, field: str) -> None:
    token = device_token(app)
    values = {"name": "Ayu Lestari", "position": "Staf", "institution": "Dinas"}
    values[field] = "Kantor Ꞔ"
    response = post(client, token, signing_body(**values))
    assert response.status_code == 422
    assert response.get_json()["field"] == field
    assert names_the_character(response.get_json()["detail"], 0xA7C4)


def test_the_refusal_is_translated(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    detail = post(client, token, signing_body("Ꞔenny"), lang="id").get_json()["detail"]
    assert detail.startswith("nama: karakter U+A7C4 (LATIN CAPITAL LETTER C WITH PALATAL HOOK)"), detail
    assert "tidak dapat dicetak pada sertifikat" in detail
    detail = post(client, token, signing_body("دانا"), lang="id").get_json()["detail"]
    assert "U+062F" in detail and "kanan ke kiri" in detail, detail


# -- the kiosk (walk-in registration) ----------------------------------------------------------


def test_kiosk_walk_in_makes_the_same_choice(app: Flask, client: FlaskClient) -> None:
    enrol(app, client)
    for name, code in REFUSED:
        signatory = {"name": name, "position": "Warga", "institution": "RT 01", "category": "komunitas"}
        response = kiosk_sign(client, signatory=signatory)
        assert response.status_code == 422, name
        detail = response.get_json()["detail"]
        assert names_the_character(detail, code) and "tidak dapat dicetak" in detail, detail  # Indonesian
    for i, name in enumerate(ACCEPTED[:3]):
        signatory = {"name": name, "position": "Warga", "institution": f"RT 0{i}", "category": "komunitas"}
        assert kiosk_sign(client, signatory=signatory).status_code == 201


def test_an_invitee_listed_before_the_check_cannot_sign_an_unprintable_name(
    app: Flask, client: FlaskClient
) -> None:
    from registry.db import write_transaction
    from registry.extensions import db
    from registry.models import Invitee

    with app.app_context():
        commitment_id = invitees.commitment(DEMO).id

        def add() -> int:
            row = Invitee(
                commitment_id=commitment_id,
                name="Ayu 🌺",
                position="Staf",
                institution="Dinas",
                category="pemerintah",
            )
            db.session.add(row)
            db.session.flush()
            return int(row.id)

        invitee_id = write_transaction(add)
    body = signing_body("x")
    del body["signatory"]
    body["invitee_id"] = invitee_id
    response = post(client, device_token(app), body)
    assert response.status_code == 422 and response.get_json()["field"] == "name"
    assert names_the_character(response.get_json()["detail"], 0x1F33A)


# -- the CSV invitee import --------------------------------------------------------------------


def test_csv_import_rejects_the_row_naming_the_character(app: Flask) -> None:
    lines = ["nama;jabatan;instansi;kategori"]
    lines += [f"{name};Staf;Dinas Uji {i};pemerintah" for i, name in enumerate(ACCEPTED)]
    lines += [f"{name};Staf;Dinas Tolak {i};pemerintah" for i, (name, _) in enumerate(REFUSED)]
    lines += ["Budi Santoso;Kepala Ꞔ;Dinas;pemerintah", "Citra;Staf;Dinas 🌺;pemerintah"]
    with app.app_context():
        report = invitees.import_csv(DEMO, "\n".join(lines).encode("utf-8"))
    assert report.fatal is None
    assert report.imported == len(ACCEPTED)
    by_line = {p.line: p.reason for p in report.rejected}
    first_refused = 2 + len(ACCEPTED)
    for i, (_, code) in enumerate(REFUSED):
        assert names_the_character(by_line[first_refused + i], code), by_line[first_refused + i]
    assert names_the_character(by_line[first_refused + len(REFUSED)], 0xA7C4)
    assert "position" in by_line[first_refused + len(REFUSED)]
    assert names_the_character(by_line[first_refused + len(REFUSED) + 1], 0x1F33A)


# -- commitments: title, place, dimension and category labels print on certificates and the roll


def draft(**changes: Any) -> commitments.CommitmentDraft:
    base = demo.draft()
    fields: dict[str, Any] = {
        "title": "Pakta Integritas",
        "text": "Kami berjanji.",
        "place": "Purbalingga",
        "event_date": date(2025, 1, 6),
        "dimensions": base.dimensions,
        "categories": base.categories,
        "consent_text": base.consent_text,
    }
    fields.update(changes)
    return commitments.CommitmentDraft(**fields)


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"title": "Pakta 🌺"}, "title", 0x1F33A),
        ({"place": "Aula Ꞔ"}, "place", 0xA7C4),
        ({"dimensions": [{"id": "a", "label": "Smart ميثاق"}]}, "dimensions", 0x0645),
        ({"categories": [{"id": "a", "label": "王"}]}, "categories", 0x738B),
        ({"text": "Kami berjanji.\nדוד"}, "text", 0x05D3),
    ],
    ids=["title", "place", "dimension-label", "category-label", "text"],
)
def test_commitment_texts_that_print_are_checked(
    app: Flask, changes: dict[str, Any], field: str, code: int
) -> None:
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        commitments.create("pakta-uji", draft(**changes))
    assert refused.value.field is not None and refused.value.field.startswith(field)
    assert names_the_character(str(refused.value), code), str(refused.value)
    with app.app_context():
        commitments.create("pakta-uji", draft(title="Ségara Αλέξανδρος Сергей", place="Nguyễn Thị"))


# -- the roll ----------------------------------------------------------------------------------


def test_roll_prints_accepted_names_exactly(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    signed = []
    for name in ACCEPTED[:-2]:
        response = post(client, token, signing_body(name, institution=f"Lembaga {len(signed)}"))
        assert response.status_code == 201, response.get_json()
        signed.append(response.get_json()["record"]["signatory"]["name"])
    with app.app_context():
        text = joined(page_text(roll_service.roll_pdf(DEMO, 1)))
    assert "\ufffd" not in text
    for name in signed:
        assert joined(name) in text


# -- the renderer on its own: records signed before the check -----------------------------------


def test_renderer_never_lets_the_text_layer_lie() -> None:
    """A stored name the font cannot print faithfully shows U+FFFD, never another character.

    reportlab writes a 5-digit code in the ToUnicode map for a character outside the BMP, which
    extracts as some other character (U+1F600, which DejaVu has, as U+1F60); the renderer replaces
    it (and glyph-less characters) instead.
    """
    signer = Signer.generate()
    for name, shown in (("Ayu \U0001f600 Lestari", "Ayu\ufffdLestari"), ("Ꞔenny", "\ufffdenny")):
        text = joined(page_text(render_certificate(make_data(signer, name))))
        assert shown in text, text[:300]


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# -- the check itself ----------------------------------------------------------------------------


def test_coverage_comes_from_the_font_files() -> None:
    covered = printable.covered()
    assert covered is printable.covered()  # computed once
    assert {ord(c) for c in "AzÉễΩЖ’"} <= covered
    assert 0xA7C4 not in covered and 0x738B not in covered
    assert all(c <= 0xFFFF for c in covered)
    # Bold lacks a few characters regular has: the name is drawn in bold, so both must have it.
    from reportlab.pdfbase.ttfonts import TTFontFile

    faces = [TTFontFile(str(printable.FONT_DIR / f)) for f in printable.FONT_FILES.values()]
    in_all = set.intersection(*(set(c for c, g in face.charToGlyph.items() if g) for face in faces))
    assert covered <= in_all


def test_the_fonts_character_maps_are_read_as_reportlab_reads_them() -> None:
    """The reading side (registry.pdf.truetype, no reportlab) maps every character of both faces
    to the glyph reportlab draws it with, so a name's printed form is the same on both sides."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    for font, filename in printable.FONT_FILES.items():
        face = TTFontFile(str(printable.FONT_DIR / filename))
        tables = printable.font_tables(font)
        assert tables.char_to_glyph == face.charToGlyph
        assert len(tables.char_to_glyph) > 5000
        assert list(tables.glyph_offsets) == face.glyphPos


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Ꞔ", "the certificate font has no glyph for it"),
        ("Ayu \U0001f600", "it would copy from the PDF as another character"),
        ("שלום", "right-to-left text would print in the wrong order"),
        ("a\u00adb", "no visible form"),
        ("a\ufe0f", "no visible form"),  # a variation selector: an empty glyph in DejaVu
    ],
)
def test_each_refusal_says_why(text: str, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        require_printable(text, "name")
    assert why in str(refused.value) and refused.value.field == "name"


def test_multiline_text_may_hold_line_breaks_and_tabs() -> None:
    assert require_printable("Kami\n\tberjanji", "text", multiline=True) == "Kami\n\tberjanji"
    with pytest.raises(InvalidInput):
        require_printable("Kami\nberjanji", "title")
