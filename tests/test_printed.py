"""Printed versus sealed: a certificate whose page says something else than its record is altered.

An outside tester drew a PDF anew with another name and position ("Bupati Palsu", "Bupati
Purbalingga") and attached the genuine record.json, record.sig and receipt: checking only the
attachments answered "Sah". These tests forge such PDFs for real (reportlab drawings, pypdf page
transplants and overlays, an image-only "scan") and check the upload page (through the HTTP app)
and ``ikrar verify`` answer altered / unchecked, while genuine certificates stay valid.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2
import pytest
from flask import Flask
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas as pdfcanvas

from registry.core import codes
from registry.core.keys import Signer
from registry.models import SignatureRecord
from registry.pdf.attachments import embed_files
from registry.pdf.certificate import CertificateData, render_certificate
from registry.pdf.common import ATTACHMENT_RECEIPT, format_wib
from registry.pdf.layout import register_fonts
from registry.pdf.printable import BOLD, REGULAR
from registry.pdf.printed import Expected, check_printed, compare
from registry.pdf.printed_text import Line, read_lines
from registry.pdf.reader import extract_attachments
from registry.services import certificates, signing, withdrawals
from tests.conftest import Env, csrf_token, ikrar
from tests.factories import walk_in
from tests.test_certificate import LONG_NAMES, make_data, make_record

FAKE_NAME, FAKE_POSITION = "Bupati Palsu", "Bupati Purbalingga"
GENUINE_NAME = "Dra. Sri Wahyuningsih, M.Si."


# -- forging, for real ------------------------------------------------------------------------


def with_attachments(page_pdf: bytes, genuine: bytes) -> bytes:
    """``page_pdf``'s first page with the genuine certificate's attachments copied in (pypdf)."""
    writer = pypdf.PdfWriter()
    writer.add_page(pypdf.PdfReader(io.BytesIO(page_pdf)).pages[0])
    for name, content in sorted(extract_attachments(genuine).items()):
        writer.add_attachment(name, content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def forged_layout(data: CertificateData, genuine: bytes, **signatory: str) -> bytes:
    """Our own layout, drawn for a record with other signatory fields, carrying the genuine files."""
    record = dict(data.record, signatory=dict(data.record["signatory"], **signatory))
    page = render_certificate(replace(data, record=record))
    return with_attachments(page, genuine)


def forged_drawing(genuine: bytes, lines: list[tuple[str, float, float]]) -> bytes:
    """A certificate-like page drawn anew with reportlab, the genuine files embedded as ours are."""
    files = extract_attachments(genuine)
    register_fonts()
    buffer = io.BytesIO()
    canvas = pdfcanvas.Canvas(buffer, pagesize=A4, invariant=1)
    for text, size, y in lines:
        canvas.setFont(BOLD if size > 14 else REGULAR, size)
        canvas.drawCentredString(A4[0] / 2, y, text)
    mimes = {"record.json": "application/json"}
    embed_files(
        canvas._doc,
        [(name, content, mimes.get(name, "text/plain"), name) for name, content in sorted(files.items())],
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def stamped(genuine: bytes, text: str, y: float = 224 * mm, white_out: bool = True) -> bytes:
    """The genuine certificate with ``text`` stamped on its page (over a white box, as a forger would)."""
    buffer = io.BytesIO()
    canvas = pdfcanvas.Canvas(buffer, pagesize=A4)
    if white_out:
        canvas.setFillColorRGB(1, 1, 1)
        canvas.rect(30 * mm, y - 4 * mm, A4[0] - 60 * mm, 14 * mm, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont("Helvetica-Bold", 22)
    canvas.drawCentredString(A4[0] / 2, y, text)
    canvas.save()
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(genuine))
    writer.pages[0].merge_page(pypdf.PdfReader(io.BytesIO(buffer.getvalue())).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned(genuine: bytes) -> bytes:
    """The genuine page as a picture only (no text layer), the genuine files embedded."""
    document = pypdfium2.PdfDocument(genuine)
    try:
        image = document[0].render(scale=100 / 72).to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    canvas = pdfcanvas.Canvas(buffer, pagesize=A4, invariant=1)
    canvas.drawImage(ImageReader(image), 0, 0, A4[0], A4[1])
    files = extract_attachments(genuine)
    embed_files(canvas._doc, [(n, c, "text/plain", n) for n, c in sorted(files.items())])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def drawn_by_tester(genuine: bytes, record: dict[str, Any]) -> bytes:
    """The outside tester's forgery: a fresh page naming "Bupati Palsu", genuine attachments."""
    return forged_drawing(
        genuine,
        [
            ("SERTIFIKAT PENANDATANGANAN", 21, 260 * mm),
            ("Dengan ini menerangkan bahwa · This is to attest that", 9, 235 * mm),
            (FAKE_NAME, 22, 222 * mm),
            (FAKE_POSITION, 12, 212 * mm),
            (record["signatory"]["institution"], 12, 204 * mm),
            ("telah menandatangani · has signed", 9, 190 * mm),
            ("Komitmen Bersama mewujudkan Purbalingga Smart City", 16, 180 * mm),
            (format_wib(record["signed_at"]), 10.5, 160 * mm),
            (codes.display_code(record["code"]), 19, 60 * mm),
        ],
    )


def full_expectation(data: CertificateData, pdf: bytes) -> Expected:
    return Expected(
        record=data.record,
        attachments=tuple(extract_attachments(pdf)),
        title=data.commitment_title,
        category_label=data.category_label,
        dimension_labels=data.dimension_labels,
        place=data.place,
        log_index=data.log_index,
        url=data.verify_url.split("#", 1)[0],
        withdrawal_known=True,
        withdrawal=data.withdrawn,
    )


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate()


# -- the comparison, no database ----------------------------------------------------------------


# Hard cases met by a fuzzer over genuine certificates: right-to-left scripts (read back reordered),
# characters beyond the BMP (reportlab's ToUnicode cannot carry them), glyphs DejaVu lacks
# (printed as U+FFFD), soft hyphens, zero-width characters, ligatures, tabs and double spaces.
HARD_NAMES = [
    "Ab שלום cd",
    "محمد عبد الله",
    "Ayu 😀🎉 Lestari",
    "王小明 Wang",
    "Sri\u00adWahyu\u200bningsih",
    "ﬁﬂ Ñoño\tDédé  Łódź",
]


@pytest.mark.parametrize(
    "name",
    [GENUINE_NAME, "Ñúñez Muẓaffar", "PT <Maju> & Jaya", "Ahmad\u200f Yusuf", *LONG_NAMES, *HARD_NAMES],
)
def test_genuine_certificates_print_what_they_seal(signer: Signer, name: str) -> None:
    data = make_data(signer, name)
    pdf = render_certificate(data)
    lines = read_lines(pdf)
    # pypdf reads DejaVu's embedded subsets back to the exact characters, diacritics included.
    assert any("Muẓaffar" in line.text for line in lines) == ("Muẓaffar" in name)
    result = check_printed(pdf, full_expectation(data, pdf))
    assert (result.status, result.differing) == ("same", [])
    assert {"name", "position", "institution", "commitment", "signed_at", "code"} <= set(result.checked)


@pytest.mark.parametrize("name", ["محمد عبد الله", "Ab שלום cd"])
def test_another_name_in_a_right_to_left_script_is_still_caught(signer: Signer, name: str) -> None:
    data = make_data(signer, name)
    genuine = render_certificate(data)
    forged = forged_layout(data, genuine, name="محمد عبد الرحمن" if "محمد" in name else "Ab שלוש cd")
    assert check_printed(forged, full_expectation(data, genuine)).differing == ["name"]


def test_long_fields_that_wrap_and_shrink_still_compare(signer: Signer) -> None:
    record = make_record(signer, ("Wicaksono Adiningrat Kusumawardhana " * 6)[:200].strip())
    record["signatory"]["position"] = ("Kepala Bidang Infrastruktur " * 8)[:200].strip()
    record["signatory"]["institution"] = ("Dinas Komunikasi dan Informatika " * 7)[:200].strip()
    data = make_data(
        signer,
        record=record,
        commitment_title=("Komitmen Bersama mewujudkan Purbalingga Smart City " * 6)[:300].strip(),
        place=("Operation Room Graha Adiguna, Kompleks Setda Purbalingga " * 6)[:300].strip(),
        withdrawn=("2024-09-13T02:00:00.000Z", ("Alasan penarikan yang panjang. " * 40)[:1000]),
    )
    pdf = render_certificate(data)
    lines = read_lines(pdf)
    # The name really is wrapped over several lines, and the page really is shrunk.
    name_lines = [line for line in lines if line.text and line.text in record["signatory"]["name"]]
    assert len(name_lines) >= 2
    result = check_printed(pdf, full_expectation(data, pdf))
    assert (result.status, result.differing) == ("same", [])
    # One word changed in the middle of the wrapped institution is caught.
    changed = dict(
        record["signatory"],
        institution=record["signatory"]["institution"].replace("Informatika", "Informasi", 1),
    )
    forged = check_printed(pdf, replace(full_expectation(data, pdf), record=dict(record, signatory=changed)))
    assert forged.status == "differs" and forged.differing == ["institution"]


def test_our_layout_with_another_name_and_position_is_caught_by_field(signer: Signer) -> None:
    data = make_data(signer)
    genuine = render_certificate(data)
    forged = forged_layout(data, genuine, name=FAKE_NAME, position=FAKE_POSITION)
    assert extract_attachments(forged) == extract_attachments(genuine)  # the seal alone would pass
    result = check_printed(forged, full_expectation(data, genuine))
    assert result.status == "differs"
    assert result.differing == ["name", "position"]


def test_a_fresh_drawing_with_the_genuine_files_is_caught(signer: Signer) -> None:
    data = make_data(signer)
    genuine = render_certificate(data)
    result = check_printed(drawn_by_tester(genuine, data.record), full_expectation(data, genuine))
    assert result.status == "differs"
    assert {"name", "position"} <= set(result.differing)


def test_a_name_stamped_on_the_genuine_page_is_caught(signer: Signer) -> None:
    data = make_data(signer)
    genuine = render_certificate(data)
    for white_out in (True, False):
        forged = stamped(genuine, FAKE_NAME, white_out=white_out)
        assert extract_attachments(forged) == extract_attachments(genuine)
        result = check_printed(forged, full_expectation(data, genuine))
        # Refused by structure (pypdf's merge brings another font), before any text is read.
        assert result.status == "differs" and result.differing == ["structure"]


def line(text: str, y: float, size: float = 12) -> Line:
    return Line(text, 100, y, size, 0)


def test_genuine_text_moved_out_of_its_place_is_caught(signer: Signer) -> None:
    # The genuine lines in the genuine order, but the name printed below the position (the
    # page reads "position: Dra. Sri …"), or off the page: not the certificate's layout.
    data = make_data(signer)
    pdf = render_certificate(data)
    lines = read_lines(pdf)
    expected = full_expectation(data, pdf)
    assert compare(lines, expected).status == "same"
    name_at = next(i for i, ln in enumerate(lines) if ln.text == GENUINE_NAME)
    swapped = list(lines)
    swapped[name_at] = replace(lines[name_at], y=lines[name_at + 1].y - 1)
    assert "name" in compare(swapped, expected).differing
    hidden = list(lines)
    hidden[name_at] = replace(lines[name_at], on_page=False)
    assert compare(hidden, expected).differing == ["name"]
    tiny = list(lines)
    tiny[name_at] = replace(lines[name_at], size=1)
    assert compare(tiny, expected).differing == ["name"]


def test_a_page_without_text_is_unreadable_not_valid(signer: Signer) -> None:
    data = make_data(signer)
    genuine = render_certificate(data)
    result = check_printed(scanned(genuine), full_expectation(data, genuine))
    assert result.status == "unreadable" and result.checked == []


def test_what_is_not_known_is_not_claimed_checked(signer: Signer) -> None:
    data = make_data(signer)
    pdf = render_certificate(data)
    offline = Expected(record=data.record, attachments=tuple(extract_attachments(pdf)))
    result = check_printed(pdf, offline)
    assert result.status == "same"
    assert {"commitment", "category", "dimensions", "place"} <= set(result.not_checked)
    assert not set(result.checked) & set(result.not_checked)
    # A forged title is seen only when the title is known.
    retitled = render_certificate(replace(data, commitment_title="Komitmen Palsu"))
    assert check_printed(retitled, offline).status == "same"
    known = replace(offline, title=data.commitment_title)
    assert check_printed(retitled, known).differing == ["commitment"]


def test_a_url_to_another_code_and_a_false_withdrawal_banner_are_caught(signer: Signer) -> None:
    data = make_data(signer)
    pdf = render_certificate(data)
    offline = Expected(record=data.record, attachments=tuple(extract_attachments(pdf)))
    assert "url" in check_printed(pdf, offline).checked  # the code at the URL's end, offline too
    elsewhere = render_certificate(replace(data, verify_url="https://ikrar.example.org/v/ABCDEFGHJK0"))
    assert check_printed(elsewhere, offline).differing == ["url"]
    # Another base with the same code is not called altered unless the whole URL is known.
    moved = render_certificate(replace(data, verify_url="https://ikrar.example.org/v/" + data.record["code"]))
    assert check_printed(moved, offline).status == "same"
    assert check_printed(moved, full_expectation(data, pdf)).differing == ["url"]
    # A withdrawal banner on a record the registry knows is not withdrawn.
    banner = render_certificate(replace(data, withdrawn=("2024-09-13T02:00:00.000Z", "Salah orang")))
    assert check_printed(banner, offline).status == "same"  # offline, not knowing: no claim
    known = replace(offline, withdrawal_known=True)
    assert check_printed(banner, known).differing == ["withdrawal"]
    assert (
        check_printed(banner, replace(known, withdrawal=("2024-09-13T02:00:00.000Z", "Salah orang"))).status
        == "same"
    )
    assert check_printed(
        banner, replace(known, withdrawal=("2024-09-13T02:00:00.000Z", "Lain"))
    ).differing == ["withdrawal"]


# -- the upload page, through the HTTP app --------------------------------------------------------


def upload(app: Flask, data: bytes) -> str:
    client = app.test_client()
    token = csrf_token(client, "/verify/upload")
    response = client.post(
        "/verify/upload",
        data={"csrf_token": token, "certificate": (io.BytesIO(data), "c.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def verdict_of(html: str) -> str:
    match = re.search(r'id="verdict" data-status="([a-z_]+)"', html)
    assert match, html[:500]
    return match.group(1)


def registry_certificate(
    app: Flask, name: str = GENUINE_NAME, **changes: Any
) -> tuple[SignatureRecord, bytes]:
    with app.app_context():
        request = walk_in(name, **changes)
        row = signing.sign(request, app.extensions["ikrar.signers"]).record
        return row, certificates.certificate_pdf(row)


def test_upload_names_the_altered_fields_and_shows_the_sealed_ones(app: Flask) -> None:
    row, genuine = registry_certificate(app)
    with app.app_context():
        data = certificates.certificate_data(row)
    assert ATTACHMENT_RECEIPT in extract_attachments(genuine)  # the receipt is carried too

    html = upload(app, genuine)
    assert verdict_of(html) == "valid"
    assert "Sertifikat ini asli" in html  # byte for byte the registry's certificate
    sealed = re.search(r'<dl[^>]*id="sealed".*?</dl>', html, re.S)
    assert sealed and GENUINE_NAME in sealed.group(0) and "Kepala Bidang" in sealed.group(0)
    assert "Dinas Uji Coba" in sealed.group(0) and "WIB" in sealed.group(0)

    for forged in (
        drawn_by_tester(genuine, data.record),
        forged_layout(data, genuine, name=FAKE_NAME, position=FAKE_POSITION),
    ):
        html = upload(app, forged)
        assert verdict_of(html) == "altered", html
        assert "Sertifikat ini asli" not in html and "tercetak sama" not in html
        differing = re.search(r'<ul id="printed-differences">(.*?)</ul>', html, re.S)
        assert differing, html
        assert "<li>Nama</li>" in differing.group(1) and "<li>Jabatan</li>" in differing.group(1)
        # The sealed name is shown, for a person to compare with the paper.
        sealed = re.search(r'<dl[^>]*id="sealed".*?</dl>', html, re.S)
        assert sealed and GENUINE_NAME in sealed.group(0) and FAKE_NAME not in sealed.group(0)

    assert verdict_of(upload(app, stamped(genuine, FAKE_NAME))) == "altered"

    html = upload(app, scanned(genuine))
    assert verdict_of(html) == "unchecked"
    assert "tercetak sama" not in html and GENUINE_NAME in html


def test_upload_of_a_withdrawn_certificate(app: Flask) -> None:
    row, before = registry_certificate(app, "Keliru Tanda")
    with app.app_context():
        withdrawals.withdraw(row.id, "Ditandatangani oleh orang yang salah", "admin-test")
        after = certificates.certificate_pdf(signing.get(row.id))
    for pdf in (before, after):  # printed before the withdrawal (no banner), and after
        assert verdict_of(upload(app, pdf)) == "withdrawn"


# -- ikrar verify, offline with a pinned JWKS ---------------------------------------------------


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_cli_answers_altered_with_exit_4_and_unchecked_with_6(app: Flask, env: Env) -> None:
    row, genuine = registry_certificate(app)
    with app.app_context():
        data = certificates.certificate_data(row)
        jwks = app.test_client().get("/.well-known/jwks.json").data
        status = app.test_client().get(f"/api/v1/verify/{row.code}").data
    folder: Path = env.instance
    (folder / "jwks.json").write_bytes(jwks)
    (folder / "status.json").write_bytes(status)
    files = {
        "genuine.pdf": genuine,
        "drawn.pdf": drawn_by_tester(genuine, data.record),
        "layout.pdf": forged_layout(data, genuine, name=FAKE_NAME, position=FAKE_POSITION),
        "stamped.pdf": stamped(genuine, FAKE_NAME),
        "scan.pdf": scanned(genuine),
        "annotated.pdf": resaved(genuine, annotated),
        "retitled.pdf": with_attachments(
            render_certificate(replace(data, commitment_title="Komitmen Palsu")), genuine
        ),
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    offline = {"IKRAR_DATABASE_URL": "sqlite:////nonexistent/none.sqlite3"}

    def verify(name: str, *extra: str) -> Any:
        from tests.test_verify import ikrar_offline

        return ikrar_offline(
            env, offline, "verify", str(folder / name), "--jwks", str(folder / "jwks.json"), *extra
        )

    result = verify("genuine.pdf")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not checked (not known offline): category, commitment" in result.stdout
    result = verify("genuine.pdf", "--status", str(folder / "status.json"))
    assert result.returncode == 0 and "commitment" in result.stdout.split("as sealed:")[1].splitlines()[0]

    result = verify("layout.pdf")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "ALTERED" in result.stdout and "DIFFERS from the sealed record: name, position" in result.stdout
    for name in ("drawn.pdf", "stamped.pdf"):
        result = verify(name)
        assert result.returncode == 4 and "ALTERED" in result.stdout, result.stdout + result.stderr
    result = verify("annotated.pdf")
    assert result.returncode == 4 and "document structure" in result.stdout, result.stdout
    assert "an annotation is drawn over the page" in result.stdout
    result = verify("scan.pdf")
    assert result.returncode == 6 and "UNCHECKED" in result.stdout, result.stdout + result.stderr
    # The title is checked only when known: offline it is not; with the saved status it is.
    assert verify("retitled.pdf").returncode == 0
    result = verify("retitled.pdf", "--status", str(folder / "status.json"))
    assert result.returncode == 4 and "commitment" in result.stdout, result.stdout
    # Without --jwks (the local registry's key ring) the forged drawing is altered too.
    assert ikrar(env, "verify", str(folder / "drawn.pdf")).returncode == 4


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_verify_modules_import_no_flask() -> None:
    import subprocess
    import sys

    code = (
        "import sys, registry.cli.verify, registry.offline_verify, registry.pdf.printed;"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'pypdf'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json;" + code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []


# -- structure: what a viewer shows that the text extractor does not --------------------------


def resaved(pdf: bytes, change: Any = None) -> bytes:
    """``pdf`` rewritten by pypdf (clone), after ``change(writer)`` if given."""
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf))
    if change is not None:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_content(pdf: bytes, edit: Any) -> bytes:
    """``pdf`` with its page's decoded content replaced by ``edit(content)`` (Flate, via pypdf)."""
    from pypdf.generic import DecodedStreamObject, NameObject

    def change(writer: pypdf.PdfWriter) -> None:
        page = writer.pages[0]
        stream = DecodedStreamObject()
        stream.set_data(edit(page.get_contents().get_data()))
        page[NameObject("/Contents")] = writer._add_object(stream.flate_encode())

    return resaved(pdf, change)


def annotated(writer: pypdf.PdfWriter) -> None:
    from pypdf.annotations import FreeText

    note = FreeText(text=FAKE_NAME, rect=(50, 500, 550, 560), font_size="20pt", background_color="ffffff")
    writer.add_annotation(page_number=0, annotation=note)


def cropped(writer: pypdf.PdfWriter) -> None:
    from pypdf.generic import RectangleObject

    writer.pages[0].cropbox = RectangleObject((0, 0, 595, 600))  # the name's band cut off


def added_font(writer: pypdf.PdfWriter) -> None:
    from pypdf.generic import DictionaryObject, NameObject

    fonts = writer.pages[0]["/Resources"]["/Font"]
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/TrueType"),
            NameObject("/BaseFont"): NameObject("/Forged"),
        }
    )
    fonts[NameObject("/F9")] = writer._add_object(font)


def trimmed(writer: pypdf.PdfWriter) -> None:
    from pypdf.generic import RectangleObject

    writer.pages[0].trimbox = RectangleObject((0, 0, 595, 600))


def form_field(writer: pypdf.PdfWriter) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject()})


def invisible_ink(writer: pypdf.PdfWriter) -> None:
    from pypdf.generic import DictionaryObject, FloatObject, NameObject

    states = DictionaryObject({NameObject("/G0"): DictionaryObject({NameObject("/ca"): FloatObject(0)})})
    writer.pages[0]["/Resources"][NameObject("/ExtGState")] = states


def bomb(content: bytes) -> bytes:
    return content + b"BT /F3+0 9 Tf 1 0 0 1 10 10 Tm " + b"(a) Tj " * 400_000 + b"ET\n"


STRUCTURE_FORGERIES = {
    "second page": (lambda pdf: resaved(pdf, lambda w: w.add_blank_page()), "2 pages"),
    "invisible text": (lambda pdf: with_content(pdf, lambda c: c.replace(b"BT", b"BT 3 Tr")), "render mode"),
    "clip-only text": (lambda pdf: with_content(pdf, lambda c: c.replace(b"BT", b"BT 7 Tr")), "render mode"),
    "annotation": (lambda pdf: resaved(pdf, annotated), "annotation"),
    "crop box": (lambda pdf: resaved(pdf, cropped), "CropBox"),
    "added font": (lambda pdf: resaved(pdf, added_font), "font a certificate does not embed"),
    "content bomb": (lambda pdf: with_content(pdf, bomb), "not read"),
    "trim box": (lambda pdf: resaved(pdf, trimmed), "TrimBox"),
    "form field": (lambda pdf: resaved(pdf, form_field), "form fields"),
    "zero opacity": (lambda pdf: resaved(pdf, invisible_ink), "graphics state"),
    "squeezed text": (lambda pdf: with_content(pdf, lambda c: c.replace(b"BT", b"BT 0 Tz")), "(Tz)"),
    "many text runs": (
        lambda pdf: with_content(pdf, lambda c: c + b"BT /F3+0 9 Tf " + b"(a) Tj " * 401 + b"ET\n"),
        "runs of text",
    ),
}


@pytest.mark.parametrize("forgery", sorted(STRUCTURE_FORGERIES))
def test_structure_forgeries_are_refused_before_the_text_is_read(
    signer: Signer, forgery: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_data(signer)
    genuine = render_certificate(data)
    make, why = STRUCTURE_FORGERIES[forgery]
    forged = make(genuine)
    assert extract_attachments(forged) == extract_attachments(genuine)  # the seal alone would pass

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the text was extracted")

    monkeypatch.setattr(pypdf.PageObject, "extract_text", never)  # a spy: refused before reading
    result = check_printed(forged, full_expectation(data, genuine))
    assert (result.status, result.differing) == ("differs", ["structure"]), result
    assert result.reason is not None and why in result.reason


def test_a_pypdf_resave_passes_the_structure_and_text_checks(signer: Signer) -> None:
    data = make_data(signer)
    genuine = render_certificate(data)
    copy = resaved(genuine)
    assert copy != genuine and extract_attachments(copy) == extract_attachments(genuine)
    assert check_printed(copy, full_expectation(data, genuine)).status == "same"


def test_the_content_bounds_hold_the_largest_genuine_certificate(signer: Signer) -> None:
    from registry.core.strokes import MAX_POINTS
    from registry.pdf.printed_structure import MAX_CONTENT_BYTES, MAX_OPERATORS, MAX_TEXT_RUNS, _content
    from tests.factories import scribble
    from tests.test_certificate import strokes_sha256

    strokes = certificate_strokes(scribble(5, strokes=50, points=MAX_POINTS // 50))
    record = make_record(signer, ("Wicaksono Adiningrat Kusumawardhana " * 6)[:200].strip())
    record["handwriting"] = {"strokes_sha256": strokes_sha256(strokes)}
    data = make_data(
        signer,
        record=record,
        strokes=strokes,
        withdrawn=("2024-09-13T02:00:00.000Z", ("Alasan penarikan yang panjang. " * 40)[:1000]),
    )
    pdf = render_certificate(data)
    content = _content(pypdf.PdfReader(io.BytesIO(pdf)).pages[0])
    operators = len(re.findall(rb"(?<![/\w])[A-Za-z*]+\*?(?=\s)", content))
    runs = len(re.findall(rb"\) Tj\b", content))
    print("largest genuine content", len(content), "bytes,", operators, "operators,", runs, "runs")
    assert 3 * len(content) < MAX_CONTENT_BYTES and 3 * operators < MAX_OPERATORS
    assert 3 * runs < MAX_TEXT_RUNS
    assert check_printed(pdf, full_expectation(data, pdf)).status == "same"


def certificate_strokes(strokes: Any) -> Any:
    from tests.test_certificate import canonicalise

    return canonicalise(strokes)


def test_upload_byte_exact_then_structure_then_text(app: Flask) -> None:
    _row, genuine = registry_certificate(app, "Byte Exact")
    html = upload(app, genuine)
    assert verdict_of(html) == "valid" and 'id="identical"' in html and "Sertifikat ini asli" in html
    copy = resaved(genuine)
    html = upload(app, copy)
    assert verdict_of(html) == "valid" and 'id="identical"' not in html
    assert "teks yang tercetak sama dengan data yang disegel" in html and "Sertifikat ini asli" not in html
    for name in ("annotation", "invisible text", "second page", "content bomb"):
        html = upload(app, STRUCTURE_FORGERIES[name][0](genuine))
        assert verdict_of(html) == "altered" and 'id="structure"' in html, name
        assert "document structure" in html


def test_upload_of_a_certificate_printed_before_its_withdrawal_is_byte_identical(app: Flask) -> None:
    row, before = registry_certificate(app, "Sebelum Ditarik")
    with app.app_context():
        withdrawals.withdraw(row.id, "Ditandatangani oleh orang yang salah", "admin-test")
        after = certificates.certificate_pdf(signing.get(row.id))
    assert before != after
    for pdf in (before, after):
        html = upload(app, pdf)
        assert verdict_of(html) == "withdrawn" and "byte demi byte" in html
