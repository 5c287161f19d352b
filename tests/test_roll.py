"""The signed roll: deterministic bytes, names printed exactly, QR codes, the checkpoint, roles."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import replace
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient

from registry.pdf.roll import render_roll
from registry.services import roll as roll_service
from registry.services import signing, withdrawals
from tests.conftest import ROOT, sign_in
from tests.factories import DEMO, scribble, walk_in

ROLL = f"/admin/commitments/{DEMO}/v1/roll.pdf"
# Names the signing service accepts (it refuses HTML elements and bidi overrides in names).
SIGNED_NAMES = [
    "PT <Maju> & Jaya",
    "Dédé Ñoño Çağrı Łódź",
    unicodedata.normalize("NFD", "Ratna Ayu Wulandarí Sëtyaningsih"),
    ("Prof. Dr. Ir. Raden Mas Haryo Bagus Setyo Wicaksono Adiningrat Kusumawardhana, S.T., M.T., M.Sc. " * 2)[
        :200
    ],
    "Purbalingga" * 18 + "Ka",
]
# Names only the renderer sees here (the service refuses them), printed literally all the same.
MARKUP_NAMES = ["<b><i>x</b></i>", '<img src="/etc/hostname"/>', "PT <Maju> & Jaya"]


def page_texts(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def no_space(text: str) -> str:
    return "".join(text.split())


def page_qr_codes(pdf: bytes, index: int) -> set[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[index]
        bitmap = page.render(scale=4)
        image = bitmap.to_pil()
        bitmap.close()
        page.close()
    finally:
        document.close()
    return {result.text for result in zxingcpp.read_barcodes(image)}


def sign_all(app: Flask, names: list[str], *, withdraw: int | None = None) -> list[tuple[str, str, str]]:
    """Sign ``names`` as walk-ins; return (id, code, stored name) per signature."""
    done = []
    with app.app_context():
        for i, name in enumerate(names):
            result = signing.sign(
                walk_in(name, public_display=i % 2 == 0, strokes=scribble(i + 1)),
                app.extensions["ikrar.signers"],
            )
            done.append((result.record.id, result.record.code, result.record.name))
        if withdraw is not None:
            withdrawals.withdraw(done[withdraw][0], "Salah orang: ditandatangani oleh staf", "admin-test")
    return done


@pytest.fixture
def signed(app: Flask) -> list[tuple[str, str, str]]:
    return sign_all(app, SIGNED_NAMES, withdraw=1)


def test_roll_bytes_are_deterministic_and_served_to_admins_and_auditors(
    app: Flask, client: FlaskClient, signed: list[tuple[str, str, str]]
) -> None:
    sign_in(app, client, "admin")
    auditor = app.test_client()
    sign_in(app, auditor, "auditor")  # (creating an account appends to the log: do it first)
    first = client.get(ROLL)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-1.") and first.data.rstrip().endswith(b"%%EOF")
    assert "no-store" in first.headers["Cache-Control"] and "private" in first.headers["Cache-Control"]
    assert client.get(ROLL).data == first.data  # nothing changed, same bytes
    with app.app_context():
        assert roll_service.roll_pdf(DEMO, 1) == first.data
    assert auditor.get(ROLL).data == first.data

    # A new signature changes the checkpoint and therefore the roll.
    sign_all(app, ["Siti Rahmawati"])
    assert client.get(ROLL).data != first.data


def test_role_boundaries(app: Flask, client: FlaskClient, signed: list[tuple[str, str, str]]) -> None:
    anonymous = client.get(ROLL)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    operator = app.test_client()
    sign_in(app, operator, "operator")
    assert operator.get(ROLL).status_code == 403
    admin = app.test_client()
    sign_in(app, admin, "admin")
    assert admin.get(f"/admin/commitments/{DEMO}/v9/roll.pdf").status_code == 404
    assert admin.get("/admin/commitments/no-such-thing/v1/roll.pdf").status_code == 404


def test_every_name_prints_exactly_public_or_not_and_withdrawn_is_marked(
    app: Flask, client: FlaskClient, signed: list[tuple[str, str, str]]
) -> None:
    sign_in(app, client, "admin")
    pdf = client.get(ROLL).data
    texts = page_texts(pdf)
    whole = "\n".join(texts)
    for _, code, stored in signed:
        assert stored == unicodedata.normalize("NFC", stored)
        if len(stored) < 60:
            assert stored in whole, stored
        else:  # wrapped over lines: extraction inserts line breaks (and drops the broken space)
            assert no_space(stored) in no_space(whole), stored
        assert f"{code[:4]}-{code[4:8]}-{code[8:]}" in whole
    # Non-public signatories appear too (every other one consented to public display).
    assert "Tampil publik · Public display: tidak · no" in whole
    withdrawn_name = signed[1][2]
    entry = whole[whole.index(withdrawn_name) :]
    assert "DITARIK · WITHDRAWN" in entry.split("No. 3")[0]
    assert no_space("Salah orang: ditandatangani oleh staf") in no_space(entry.split("No. 3")[0])
    assert "tidak tersertifikasi" in texts[-1] and "PP 71/2019" in texts[-1]
    assert "tersertifikasi" not in whole.replace("tidak tersertifikasi", "")


def test_markup_in_names_prints_literally(app: Flask, signed: list[tuple[str, str, str]]) -> None:
    with app.app_context():
        data = roll_service.roll_data(DEMO, 1)
    people = [
        replace(data.signatories[0], name=name, number=i + 1, position=name, institution=name)
        for i, name in enumerate(MARKUP_NAMES)
    ]
    pdf = render_roll(replace(data, signatories=people, title="<b>Komitmen</b> & <i>"))
    whole = "\n".join(page_texts(pdf))
    for name in MARKUP_NAMES:
        assert name in whole
    assert "<b>Komitmen</b> & <i>" in whole


def test_checkpoint_on_last_page_is_the_one_served(
    app: Flask, client: FlaskClient, signed: list[tuple[str, str, str]]
) -> None:
    sign_in(app, client, "auditor")
    served = client.get("/log/checkpoint").get_data(as_text=True)
    pdf = client.get(ROLL).data
    last = page_texts(pdf)[-1]
    lines = [line for line in served.split("\n") if line]
    for line in lines:
        assert line in last, line
    size = int(lines[1])
    with app.app_context():
        from registry.services import checkpoints

        root = checkpoints.root_at(size)
    assert root.hex() in last
    assert f"Ukuran · Size {size}" in last


def test_qr_on_a_signature_page_decodes_to_the_verify_url(
    app: Flask, client: FlaskClient, signed: list[tuple[str, str, str]]
) -> None:
    sign_in(app, client, "admin")
    pdf = client.get(ROLL).data
    texts = page_texts(pdf)
    page = next(i for i, text in enumerate(texts) if "Halaman tanda tangan" in text)
    found = page_qr_codes(pdf, page)
    base = app.config["IKRAR_BASE_URL"]
    on_page = {
        f"{base}/v/{code}" for _, code, _ in signed if f"{code[:4]}-{code[4:8]}-{code[8:]}" in texts[page]
    }
    assert on_page and found == on_page


def test_roll_without_signatures_and_long_text(app: Flask) -> None:
    with app.app_context():
        data = roll_service.roll_data(DEMO, 1)
    assert data.signatories == []
    long_text = "\n".join(
        f"{i}. " + "Kami berkomitmen mewujudkan transformasi digital. " * 12 for i in range(60)
    )
    pdf = render_roll(replace(data, text=long_text))
    texts = page_texts(pdf)
    assert len(texts) >= 4  # the text flows over pages, then signatures, then the checkpoint
    assert "Belum ada tanda tangan" in "\n".join(texts)
    assert "59. Kami" in "\n".join(texts)


def test_renderer_opens_no_file_outside_the_package(app: Flask, signed: list[tuple[str, str, str]]) -> None:
    import builtins

    with app.app_context():
        data = roll_service.roll_data(DEMO, 1)
    render_roll(data)  # fonts registered
    opened: list[str] = []
    real_open = builtins.open

    def spy(file: object, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    builtins.open = spy  # type: ignore[assignment]
    try:
        render_roll(
            replace(data, signatories=[replace(data.signatories[0], name='<img src="/etc/hostname"/>')])
        )
    finally:
        builtins.open = real_open
    assert all(Path(p).resolve().is_relative_to(ROOT / "registry") for p in opened), opened


def test_screenshot_of_a_signature_page(
    app: Flask, client: FlaskClient, signed: list[tuple[str, str, str]], tmp_path: Path
) -> None:
    sign_in(app, client, "admin")
    pdf = client.get(ROLL).data
    texts = page_texts(pdf)
    index = next(i for i, text in enumerate(texts) if "Halaman tanda tangan" in text)
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[index]
        bitmap = page.render(scale=150 / 72)
        image = bitmap.to_pil()
        bitmap.close()
        page.close()
    finally:
        document.close()
    # Refreshed in docs/ only on request (IKRAR_SCREENSHOT_DIR=docs/screenshots), as the others.
    target = Path(os.environ.get("IKRAR_SCREENSHOT_DIR") or tmp_path) / "roll-page.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target)
    assert abs(image.size[0] - 1240) <= 1 and abs(image.size[1] - 1754) <= 1  # A4 at 150 dpi
