"""The certificate PDF: QR code, hostile names, determinism, attachments, file access, legal wording.

No database and no server: records are built per FORMATS.md §3 and sealed with a fresh key.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from registry.core import codes
from registry.core.canonical import canonical_bytes, nfc, sha256_hex
from registry.core.errors import FormatError
from registry.core.keys import KeyRing, Signer, VerifyingKey
from registry.core.records import RECORD_TYPE, sign_record, verify_record
from registry.core.strokes import canonicalise, strokes_sha256
from registry.pdf import common, printable, qr_drawing
from registry.pdf.certificate import CertificateData, render_certificate
from registry.pdf.qr_drawing import qr_matrix
from registry.pdf.reader import extract_attachments
from tests.factories import scribble

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "registry"
MM = 72 / 25.4  # points per millimetre
BASE_URL = "https://ikrar.purbalinggakab.go.id/v/"
# ~330 characters: the URL plus a fragment carrying e.g. the signature for offline checks.
LONG_URL = (
    BASE_URL + "8J2K4M6P9QR#sig=" + "Zt3_q-Vb9xW1" * 19 + "&kid=kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
)

HOSTILE_NAMES = [
    "PT <Maju> & Jaya",
    "<b><i>x</b></i>",
    '<img src="/etc/hostname"/>',
    "Dédé Ñoño Çağrı Łódź",
    unicodedata.normalize("NFD", "Dédé Ñoño Çağrı Łódź"),  # normalised to NFC before signing
    "Ahmad\u200f Yusuf",  # a right-to-left mark inside a name
]
LONG_NAMES = [
    # 200 characters with spaces (a long name with titles), and one 200-character unbroken word.
    (
        "Prof. Dr. Ir. Raden Mas Haryo Bagus Setyo Wicaksono Adiningrat Kusumawardhana, S.T., M.T., "
        "M.Sc., Ph.D., IPU, ASEAN Eng., Ketua Tim Percepatan Transformasi Digital Kab Purbalingga Provinsi Jawa Tengah"
    ),
    "Purbalingga" * 18 + "Ka",
]


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate()


def make_record(signer: Signer, name: str = "Dra. Sri Wahyuningsih, M.Si.", **changes: Any) -> dict[str, Any]:
    strokes = canonicalise(scribble(3))
    record: dict[str, Any] = {
        "type": RECORD_TYPE,
        "id": "g4kq7zr2m5xw3a6bn2c7dpe5fu",
        "code": "0123456789" + "0",  # FORMATS.md §6 known answer: body 0123456789, check 0
        "commitment": {
            "id": "purbalingga-smart-city-2024",
            "version": 1,
            "text_sha256": sha256_hex(b"Komitmen Bersama mewujudkan Purbalingga Smart City"),
        },
        "signatory": {
            "name": nfc(name),
            "position": "Kepala Dinas Komunikasi dan Informatika",
            "institution": "Dinas Kominfo Kabupaten Purbalingga",
            "category": "pemerintah",
        },
        "dimensions": ["smart-governance", "smart-living"],
        "consent": {"text_sha256": sha256_hex(b"persetujuan"), "public_display": True},
        "handwriting": {"strokes_sha256": strokes_sha256(strokes)},
        "signed_at": "2024-09-12T03:15:00.000Z",
        "claimed_at": None,
        "operator": "operator-test",
        "device": "device-test",
        "kid": signer.kid,
    }
    record.update(changes)
    return record


def make_data(signer: Signer, name: str = "Dra. Sri Wahyuningsih, M.Si.", **fields: Any) -> CertificateData:
    record = fields.pop("record", None) or make_record(signer, name)
    signed = sign_record(record, signer)
    values: dict[str, Any] = {
        "record": record,
        "signature": signed.signature,
        "commitment_title": "Komitmen Bersama mewujudkan Purbalingga Smart City",
        "place": "Operation Room Graha Adiguna, Kompleks Setda Purbalingga",
        "category_label": "Pemerintah / OPD",
        "dimension_labels": ["Smart Governance", "Smart Living"],
        "strokes": canonicalise(scribble(3)),
        "verify_url": BASE_URL + record["code"],
        "log_index": 17,
    }
    values.update(fields)
    return CertificateData(**values)


def page_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def page_image(pdf: bytes, dpi: int) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image: Image.Image = document[0].render(scale=dpi / 72).to_pil()
        return image
    finally:
        document.close()


def no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- 1. QR code --------------------------------------------------------------------------------


@pytest.mark.parametrize("long_url", [False, True], ids=["short-url", "long-url-with-fragment"])
def test_qr_code_decodes_to_verify_url(signer: Signer, long_url: bool) -> None:
    data = make_data(signer)
    if long_url:
        data = replace(data, verify_url=LONG_URL)
        assert 320 <= len(LONG_URL) <= 340
    dpi = 200
    found = [b for b in zxingcpp.read_barcodes(page_image(render_certificate(data), dpi)) if b.valid]
    qr = [b for b in found if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert [b.text for b in qr] == [data.verify_url]
    symbol = qr[0]
    assert symbol.ec_level in ("M", "Q", "H")

    modules = len(qr_matrix(data.verify_url))  # quiet zone included
    version = (modules - 2 * qr_drawing.QR_BORDER - 17) // 4
    extra: Any = symbol.extra  # zxing-cpp reports the symbol version it decoded
    assert extra["Version"] == str(version)
    if long_url:
        assert version <= 15

    printed = qr_drawing.qr_printed_size(modules)  # points, quiet zone included
    assert printed >= 30 * MM
    assert printed / modules >= 0.4 * MM
    # The symbol zxing found (corners, without the quiet zone) has the size we meant to print.
    corners = symbol.position
    measured = (corners.top_right.x - corners.top_left.x) / dpi * 25.4
    expected = printed * (modules - 2 * qr_drawing.QR_BORDER) / modules / MM
    assert measured == pytest.approx(expected, rel=0.03)


def test_qr_is_vector_not_an_image(signer: Signer) -> None:
    pdf = render_certificate(make_data(signer))
    assert b"/Subtype /Image" not in pdf
    document = pypdfium2.PdfDocument(pdf)
    try:
        kinds = {obj.type for obj in document[0].get_objects()}
    finally:
        document.close()
    assert pypdfium2.raw.FPDF_PAGEOBJ_IMAGE not in kinds


# -- 2. Names as stored, whatever they contain ------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: n.encode("unicode_escape").decode()[:24])
def test_hostile_and_unusual_names_print_exactly(signer: Signer, name: str) -> None:
    data = make_data(signer, name)
    stored = data.record["signatory"]["name"]
    assert stored == unicodedata.normalize("NFC", name)
    text = page_text(render_certificate(data))
    assert stored in text
    if "<" in name:  # the raw markup printed as text, not interpreted
        assert "<" in text and ">" in text


@pytest.mark.parametrize("name", LONG_NAMES, ids=["with-spaces", "one-word"])
def test_200_character_name_wraps_and_extracts(signer: Signer, name: str) -> None:
    # Extraction across the line breaks of a wrapped name inserts "\r\n" (and, where the break
    # fell on a space, drops that space): compare with whitespace removed.
    assert len(name) == 200
    pdf = render_certificate(make_data(signer, name))
    assert no_space(name) in no_space(page_text(pdf))
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) == 1  # still a one-page certificate
    finally:
        document.close()


def test_longest_allowed_fields_stay_on_one_page(signer: Signer) -> None:
    # The services cap name/position/institution at 200 characters, title and place at 300,
    # labels at 120 and a withdrawal reason at 1000: the page shrinks to fit rather than overflow.
    record = make_record(signer, ("Wicaksono Adiningrat Kusumawardhana " * 6)[:200])
    record["signatory"]["position"] = ("Kepala Bidang Infrastruktur " * 8)[:200]
    record["signatory"]["institution"] = ("Dinas Komunikasi dan Informatika " * 7)[:200]
    record["dimensions"] = [
        "smart-governance",
        "smart-branding",
        "smart-economy",
        "smart-living",
        "smart-society",
    ]
    data = make_data(
        signer,
        record=record,
        commitment_title=("Komitmen Bersama mewujudkan Purbalingga Smart City " * 6)[:300],
        place=("Operation Room Graha Adiguna, Kompleks Setda Purbalingga " * 6)[:300],
        dimension_labels=[("Smart Governance dan tata kelola " * 4)[:120]] * 5,
        withdrawn=("2024-09-13T02:00:00.000Z", ("Alasan penarikan yang panjang. " * 40)[:1000]),
        verify_url=LONG_URL,
    )
    pdf = render_certificate(data)
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) == 1
    finally:
        document.close()
    assert no_space(record["signatory"]["name"]) in no_space(page_text(pdf))
    assert [b.text for b in zxingcpp.read_barcodes(page_image(pdf, 200))] == [LONG_URL]


def test_strings_are_never_markup(signer: Signer) -> None:
    hostile = '<img src="/etc/hostname"/> & <font name="Courier">PT</font>'
    data = make_data(
        signer,
        commitment_title=hostile,
        place=hostile,
        category_label=hostile,
        dimension_labels=[hostile, "<b>"],
        withdrawn=("2024-09-13T02:00:00.000Z", hostile),
    )
    # Title, place, category, first dimension and withdrawal reason (some of them wrapped).
    assert no_space(page_text(render_certificate(data))).count(no_space(hostile)) == 5


# -- 3. Determinism ----------------------------------------------------------------------------


def test_same_data_gives_identical_bytes(signer: Signer) -> None:
    data = make_data(signer, receipt="c2sp.org/tlog-proof@v1\nindex 17\n\nexample\n")
    first = render_certificate(data)
    assert render_certificate(data) == first
    assert render_certificate(replace(data, record=dict(data.record))) == first
    other = make_data(signer, "Ir. Bambang Setiawan")
    assert render_certificate(other) != first
    assert render_certificate(replace(data, log_index=18)) != first
    assert b"/CreationDate (D:20240912031500+00'00')" in first  # the signing time, not the clock


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_bytes_do_not_depend_on_the_process(tmp_path: Path) -> None:
    # Hash randomisation, import order and SOURCE_DATE_EPOCH must not change the bytes.
    script = tmp_path / "render.py"
    script.write_text(
        "import hashlib, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey\n"
        "from registry.core.keys import Signer\n"
        "from registry.pdf.certificate import render_certificate\n"
        "from tests.test_certificate import make_data\n"
        "signer = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))\n"
        "print(hashlib.sha256(render_certificate(make_data(signer))).hexdigest())\n"
    )
    digests = set()
    for seed, epoch in (("1", ""), ("2", "1234567890")):
        env = dict(os.environ, PYTHONHASHSEED=seed, SOURCE_DATE_EPOCH=epoch)
        run = subprocess.run(
            [sys.executable, str(script)], env=env, capture_output=True, text=True, check=True, cwd=ROOT
        )
        digests.add(run.stdout.strip())
    assert len(digests) == 1


# -- 4. Attachments: the PDF alone is verifiable ------------------------------------------------


def test_attachments_carry_a_verifiable_record(signer: Signer) -> None:
    receipt = "c2sp.org/tlog-proof@v1\nextra AAAA\nindex 17\n\n— checkpoint —\n"
    data = make_data(signer, receipt=receipt)
    pdf = render_certificate(data)
    files = extract_attachments(pdf)
    assert files == {
        "record.json": canonical_bytes(data.record),
        "record.sig": data.signature.encode("ascii"),
        "receipt.tlog-proof": receipt.encode("utf-8"),
    }
    keyring = KeyRing(
        [
            VerifyingKey(
                signer.kid,
                signer.public_key,
                "record",
                "active",
                not_before=datetime.now(UTC) - timedelta(days=3650),
            )
        ]
    )
    signed, key = verify_record(files["record.json"], files["record.sig"].decode("ascii"), keyring)
    assert signed.record == data.record
    assert key.kid == signer.kid

    # Any PDF tool lists them: pdfium reads the same EmbeddedFiles name tree.
    document = pypdfium2.PdfDocument(pdf)
    try:
        listed = {}
        for i in range(document.count_attachments()):
            attachment = document.get_attachment(i)
            listed[attachment.get_name()] = bytes(attachment.get_data())
    finally:
        document.close()
    assert listed == files


def test_receipt_is_optional(signer: Signer) -> None:
    assert set(extract_attachments(render_certificate(make_data(signer)))) == {"record.json", "record.sig"}


def test_extract_attachments_refuses_what_it_was_not_written_for(signer: Signer) -> None:
    pdf = render_certificate(make_data(signer))
    # An incremental update (what editors append when they "save") is refused, not read loosely.
    appended = pdf + b"\n99 0 obj\n<< >>\nendobj\n"
    xref_at = len(appended)
    update = appended + b"xref\n99 1\n" + b"%010d 00000 n \n" % (len(pdf) + 1) + b"trailer\n<< /Prev 1 >>\n"
    update += b"startxref\n%d\n%%%%EOF\n" % xref_at
    with pytest.raises(FormatError, match="Prev"):
        extract_attachments(update)
    for broken in (
        b"",
        b"not a pdf",
        pdf[: len(pdf) // 2],
        update,
        pdf.replace(b"/Length 86", b"/Length 99"),
        pdf.replace(b"startxref\n", b"startxref\n1"),
    ):
        with pytest.raises(FormatError):
            extract_attachments(broken)


# -- 5. No file outside the package is opened while rendering -----------------------------------


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    paths: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def record_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        paths.append(os.fsdecode(file) if not isinstance(file, int) else f"<fd {file}>")
        return real_open(file, *args, **kwargs)

    def record_os_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        paths.append(os.fsdecode(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", record_open)
    monkeypatch.setattr(io, "open", record_open)
    monkeypatch.setattr(os, "open", record_os_open)
    return paths


def test_rendering_opens_no_file_outside_the_package(signer: Signer, opened: list[str]) -> None:
    data = make_data(signer, '<img src="/etc/hostname"/>', receipt="c2sp.org/tlog-proof@v1\n")
    # Unregister the fonts so that this render registers (opens) them again.
    from reportlab.pdfbase import pdfmetrics

    for name in (printable.REGULAR, printable.BOLD):
        pdfmetrics._fonts.pop(name, None)
    render_certificate(replace(data, withdrawn=("2024-09-13T02:00:00.000Z", "<img src='/etc/passwd'/>")))
    outside = [p for p in opened if not Path(p).resolve().is_relative_to(PACKAGE)]
    assert outside == []
    assert any(p.endswith("DejaVuSans.ttf") for p in opened)  # the check did see the font loads


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_fresh_process_opens_nothing_outside_the_package(tmp_path: Path) -> None:
    # The audit hook sees every open, however it is called (io, os, C extensions).
    script = tmp_path / "audit.py"
    script.write_text(
        "import json, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from registry.core.keys import Signer\n"
        "from registry.pdf.certificate import render_certificate\n"
        "from tests.test_certificate import make_data\n"
        "data = make_data(Signer.generate(), '<img src=\"/etc/hostname\"/>')\n"
        "seen = []\n"
        "active = [True]\n"
        "sys.addaudithook(lambda event, args: seen.append(str(args[0])) if active[0] and event == 'open' else None)\n"
        "render_certificate(data)\n"
        "active[0] = False\n"
        "print(json.dumps(seen))\n"
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=ROOT)
    seen = json.loads(run.stdout)
    assert [p for p in seen if not Path(p).resolve().is_relative_to(PACKAGE)] == []
    assert any(p.endswith(".ttf") for p in seen)


# -- 6. Withdrawal banner and the honest legal line ---------------------------------------------


def test_withdrawn_certificate_says_so(signer: Signer) -> None:
    data = make_data(signer, withdrawn=("2024-09-13T02:00:00.000Z", "Ditandatangani oleh orang yang salah"))
    pdf = render_certificate(data)
    text = page_text(pdf)
    assert "DITARIK / WITHDRAWN" in text
    assert "Jumat, 13 September 2024 09.00 WIB" in text
    assert "Ditandatangani oleh orang yang salah" in text
    # The banner does not hide the QR code.
    decoded = [b.text for b in zxingcpp.read_barcodes(page_image(pdf, 200))]
    assert decoded == [data.verify_url]
    assert "DITARIK" not in page_text(render_certificate(make_data(signer)))


def test_legal_line_never_claims_a_certified_signature(signer: Signer) -> None:
    for data in (make_data(signer), make_data(signer, withdrawn=("2024-09-13T02:00:00.000Z", "x"))):
        text = " ".join(page_text(render_certificate(data)).split())
        assert common.LEGAL_LINE in text
        assert "tidak tersertifikasi" in text
        assert re.findall(r"(?i)(\w+)\s+tersertifikasi", text) == ["tidak"] * len(
            re.findall(r"(?i)tersertifikasi", text)
        )
        for match in re.finditer(r"(?i)\bcertified\b", text):
            assert text[: match.start()].rstrip().lower().endswith("not")


# -- Smaller pieces ------------------------------------------------------------------------------


def test_time_is_shown_in_wib() -> None:
    assert common.format_wib("2024-09-12T03:15:00.000Z") == "Kamis, 12 September 2024 10.15 WIB"
    # 23:30 UTC is already the next day in WIB.
    assert common.format_wib("2024-12-31T17:30:00.000Z") == "Rabu, 1 Januari 2025 00.30 WIB"


def test_page_shows_what_a_reader_needs(signer: Signer) -> None:
    data = make_data(signer)
    text = page_text(render_certificate(data))
    record = data.record
    for expected in (
        "SERTIFIKAT PENANDATANGANAN",
        data.commitment_title,
        record["signatory"]["position"],
        record["signatory"]["institution"],
        data.category_label,
        "Smart Governance · Smart Living",
        data.place,
        "Kamis, 12 September 2024 10.15 WIB",
        codes.display_code(record["code"]),
        record["id"],
        record["kid"],
        "17",
    ):
        assert expected in " ".join(text.split()), expected


def test_inconsistent_data_is_refused(signer: Signer) -> None:
    data = make_data(signer)
    with pytest.raises(FormatError):
        render_certificate(replace(data, dimension_labels=["Smart Governance"]))
    with pytest.raises(FormatError):
        render_certificate(replace(data, record=dict(data.record, extra=1)))
    nfd = make_record(signer)
    nfd["signatory"] = dict(nfd["signatory"], name=unicodedata.normalize("NFD", "Dédé"))
    with pytest.raises(FormatError):
        render_certificate(replace(data, record=nfd))  # records hold NFC only


def test_signature_is_drawn_as_vector_paths(signer: Signer) -> None:
    data = make_data(signer)
    pdf = render_certificate(data)
    document = pypdfium2.PdfDocument(pdf)
    try:
        paths = sum(1 for obj in document[0].get_objects() if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_PATH)
    finally:
        document.close()
    assert paths >= len(data.strokes)
    # Strokes other than those the record seals are refused, not drawn.
    with pytest.raises(FormatError, match="handwriting"):
        render_certificate(replace(data, strokes=canonicalise(scribble(4))))
