"""Names that look blank or like another name are refused; duplicates are found by one rule (issue 13).

Invisible, format and private-use characters, lone or piled-up combining marks are refused in every
text field with a message naming the field and the code point; real names in their own scripts
pass. Duplicates (walk-ins, the CSV import) and the kiosk search compare ``name_key`` (NFKC and full
Unicode case folding), identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from registry.app import create_app
from registry.core.names import find_unseen, name_key
from registry.extensions import db
from registry.models import Invitee, SignatureRecord
from registry.services import accounts, commitments, credentials, invitees, signing, withdrawals
from registry.services.commitments import CommitmentDraft
from registry.services.errors import InvalidInput
from registry.services.text import clean_text
from tests.conftest import Env
from tests.factories import DEMO, scribble, walk_in
from tests.test_kiosk import enrol

PATH = f"/api/v1/commitments/{DEMO}/signatures"

# (text, the code point the refusal must name)
INVISIBLE = [
    ("\u200b", 0x200B),  # zero width space alone: looks blank
    ("\u200b\u200b\u200b", 0x200B),
    ("\u3164", 0x3164),  # Hangul filler
    ("\u3164\u3164", 0x3164),
    ("\u2800", 0x2800),  # Braille pattern blank
    ("\u115f\u1160", 0x115F),  # Hangul choseong and jungseong fillers
    ("\uffa0", 0xFFA0),  # halfwidth Hangul filler
    ("Ayu Lestari\u200b", 0x200B),
    ("Ayu\u200dLestari", 0x200D),  # zero width joiner
    ("Ayu\u200cLestari", 0x200C),  # zero width non-joiner, in Latin
    ("Ayu\ufeffLestari", 0xFEFF),  # byte order mark
    ("Dewi\u00adSartika", 0x00AD),  # soft hyphen
    ("Ayu\u200eLestari", 0x200E),  # left-to-right mark
    ("Ahmad\u200f Yusuf", 0x200F),  # right-to-left mark
    ("Ayu\u2060Lestari", 0x2060),  # word joiner
    ("Ayu\u034fLestari", 0x034F),  # combining grapheme joiner
    ("Ayu\ufe0f Lestari", 0xFE0F),  # variation selector
    ("Ayu\U000e0041\U000e0042", 0xE0041),  # tag characters
    ("Ayu\ue000", 0xE000),  # private use
    ("Budi \uf400", 0xF400),  # private use DejaVu happens to draw
    ("Ayu\U000f0000", 0xF0000),  # supplementary private use
]
MARKS = [
    ("A" + "\u0301" * 199, 0x0301),  # 199 combining marks
    ("a\u0301\u0302\u0303\u0304\u0306", 0x0306),  # five marks on one letter
    ("\u0301\u0301", 0x0301),  # marks only
    ("Ayu \u0301Lestari", 0x0301),  # a mark after a space belongs to no letter
]
# Real names that must pass, printed on the certificate as they are.
REAL_NAMES = [
    "Ségara",
    "Ádám Kovács",
    "Muẓaffar",
    "Nur’aini",
    "Nur'aini Rahmawati",
    "Élise Ñúñez",
    unicodedata.normalize("NFD", "Nguyễn Thị Minh Khai"),
    "Αλέξανδρος Παπαδόπουλος",
    "Сергей Петров",
    "I Gusti Ngurah Rai",
    "Raden Ajeng Kartini",
]


def _token(app: Flask) -> str:
    with app.app_context():
        return credentials.issue("device", "tablet 1", commitment=DEMO).token


def _body(name: str, institution: str = "Dinas Komunikasi dan Informatika", **fields: str) -> dict[str, Any]:
    signatory = {
        "name": name,
        "position": "Kepala Seksi",
        "institution": institution,
        "category": "pemerintah",
    }
    signatory.update(fields)
    return {
        "signatory": signatory,
        "dimensions": ["smart-governance"],
        "consent": {"accepted": True, "public_display": True},
        "strokes": scribble(len(name) % 7),
    }


def _post(client: FlaskClient, token: str, body: dict[str, Any]) -> Any:
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": uuid.uuid4().hex,
        "Accept-Language": "en",
    }
    return client.post(PATH, data=json.dumps(body), content_type="application/json", headers=headers)


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def _names(value: str) -> str:
    return value.encode("unicode_escape").decode()[:28]


# -- refused in every field, naming the field and the code point ----------------------------------


@pytest.mark.parametrize(("value", "code"), INVISIBLE, ids=lambda v: _names(v) if isinstance(v, str) else "")
@pytest.mark.parametrize("field", ["name", "position", "institution"])
def test_invisible_characters_are_refused_by_the_signing_api(
    app: Flask, client: FlaskClient, field: str, value: str, code: int
) -> None:
    token = _token(app)
    before = _count(app, SignatureRecord), _count(app, Invitee)
    body = _body("Ayu Lestari")
    body["signatory"][field] = value
    response = _post(client, token, body)
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert problem["field"] == field
    kind = "a private-use character" if unicodedata.category(chr(code)) == "Co" else "an invisible character"
    assert problem["detail"].startswith(f"{field} contains {kind} U+{code:04X}"), problem["detail"]
    assert (_count(app, SignatureRecord), _count(app, Invitee)) == before


@pytest.mark.parametrize(("value", "code"), MARKS, ids=lambda v: _names(v) if isinstance(v, str) else "")
def test_piled_up_or_lone_combining_marks_are_refused(
    app: Flask, client: FlaskClient, value: str, code: int
) -> None:
    response = _post(client, _token(app), _body(value))
    assert response.status_code == 422, response.get_json()
    detail = response.get_json()["detail"]
    assert detail.startswith("name has ") and f"U+{code:04X}" in detail, detail


def test_the_refusal_is_in_indonesian_for_the_kiosk(app: Flask, client: FlaskClient) -> None:
    enrol(app, client)
    from tests.test_kiosk import sign as kiosk_sign

    response = kiosk_sign(client, signatory=_body("Ayu\u200bLestari")["signatory"])
    assert response.status_code == 422
    detail = response.get_json()["detail"]
    assert detail.startswith("nama memuat karakter tak terlihat U+200B"), detail


@pytest.mark.parametrize("name", REAL_NAMES, ids=_names)
def test_real_names_pass(app: Flask, client: FlaskClient, name: str) -> None:
    response = _post(client, _token(app), _body(name))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["record"]["signatory"]["name"] == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(
    "value",
    [
        "محمد عبد الله",  # Arabic
        "ꦱꦸꦏꦂꦤꦺꦴ",  # Javanese script (aksara Jawa)
        "می\u200cخواهم",  # Persian: ZWNJ between Arabic-script letters (RFC 5892 CONTEXTJ)
        "क्\u200dष",  # Devanagari: ZWJ after a virama
        "Nguyễn Thị",
    ],
    ids=_names,
)
def test_scripts_and_their_joiners_pass_the_invisibility_rule(value: str) -> None:
    """A field that is not printed takes them; printed fields refuse Arabic, Javanese and Devanagari
    only because the certificate font cannot print them (test_printable.py), not as invisible."""
    assert clean_text(value, "display name", max_length=200) == unicodedata.normalize("NFC", value)
    assert find_unseen(unicodedata.normalize("NFC", value)) is None


def test_every_text_field_applies_the_rule(app: Flask) -> None:
    """clean_text's callers: CSV import, commitments, withdrawal reasons, accounts, token labels."""
    with app.app_context():
        report = invitees.import_csv(
            DEMO,
            "nama;jabatan;instansi;kategori\nAyu\u200bLestari;Staf;Dinas;pemerintah\n"
            "Budi;Staf\u00ad;Dinas;pemerintah\nCitra;Staf;Dinas;pemerintah\n".encode(),
        )
        assert report.imported == 1
        reasons = {p.line: p.reason for p in report.rejected}
        assert reasons[2].startswith("name contains an invisible character U+200B"), reasons
        assert reasons[3].startswith("position contains an invisible character U+00AD"), reasons
        draft = CommitmentDraft(
            title="Pakta\u200bIntegritas",
            text="Kami berjanji.",
            place="Purbalingga",
            event_date=date(2025, 2, 3),
            dimensions=[{"id": "a", "label": "A"}],
            categories=[{"id": "b", "label": "B"}],
            consent_text="Saya setuju.",
        )
        for field, changed in [
            ("title", {}),
            ("text", {"title": "Pakta", "text": "Kami\n\u2060berjanji."}),
            ("consent text", {"title": "Pakta", "consent_text": "Saya\ue000setuju."}),
            ("dimensions label", {"title": "Pakta", "dimensions": [{"id": "a", "label": "\u3164"}]}),
        ]:
            with pytest.raises(InvalidInput) as caught:
                commitments.create("pakta-2025", CommitmentDraft(**{**draft.__dict__, **changed}))
            assert caught.value.field == field and "U+" in str(caught.value), str(caught.value)
        record = signing.sign(walk_in("Siti Aminah"), app.extensions["ikrar.signers"]).record
        with pytest.raises(InvalidInput) as caught:
            withdrawals.withdraw(record.id, "salah\u200b orang", "admin")
        assert str(caught.value).startswith("reason contains an invisible character U+200B")
        with pytest.raises(InvalidInput) as caught:
            accounts.create_user("penguji", "\u2800", "operator", "correct horse battery staple")
        assert "U+2800" in str(caught.value)
        with pytest.raises(InvalidInput):
            credentials.issue("device", "Tablet\u200d1", commitment=DEMO)


# -- duplicates: one rule on both databases -------------------------------------------------------

TWINS = [
    ("Élise Ñúñez", "ÉLISE ÑÚÑEZ"),  # SQLite's lower() folds ASCII only
    ("Ayu Lestari", "AYU LESTARI"),
    ("Gertrud Straße", "GERTRUD STRASSE"),  # full case folding: ß is ss
    ("Dédé", unicodedata.normalize("NFD", "DÉDÉ")),
    ("Nur’aini", "Nur'aini"),  # curly and straight apostrophes
    ("Ayu  Lestari", "Ayu Lestari"),
]


@pytest.mark.parametrize(("first", "second"), TWINS, ids=lambda v: _names(v))
def test_a_walk_in_twin_is_409_on_every_database(
    app: Flask, client: FlaskClient, first: str, second: str
) -> None:
    token = _token(app)
    assert _post(client, token, _body(first, "Diskominfo Purbalingga")).status_code == 201
    before = _count(app, Invitee)
    response = _post(client, token, _body(second, "DISKOMINFO PURBALINGGA"))
    assert response.status_code == 409, response.get_json()
    assert _count(app, Invitee) == before  # no second walk-in
    # Another institution is another person.
    assert _post(client, token, _body(second, "Bappeda Purbalingga")).status_code == 201


def test_a_zero_width_space_cannot_make_a_second_walk_in(app: Flask, client: FlaskClient) -> None:
    token = _token(app)
    assert _post(client, token, _body("Ayu Lestari")).status_code == 201
    before = _count(app, Invitee)
    response = _post(client, token, _body("Ayu Lestari\u200b"))
    assert response.status_code == 422 and "U+200B" in response.get_json()["detail"]
    assert _count(app, Invitee) == before


def test_the_csv_import_finds_duplicates_by_the_same_rule(app: Flask) -> None:
    with app.app_context():
        first = invitees.import_csv(
            DEMO,
            "nama;jabatan;instansi;kategori\nÉlise Ñúñez;Staf;Dinas Uji;pemerintah\n"
            "ÉLISE ÑÚÑEZ;Staf;DINAS UJI;pemerintah\nGertrud Straße;Staf;Dinas Uji;pemerintah\n".encode(),
        )
        assert first.imported == 2
        assert [(p.line, p.reason) for p in first.rejected] == [(3, "duplicate of line 2 in this file")]
        second = invitees.import_csv(
            DEMO, b"nama;jabatan;instansi;kategori\nGERTRUD STRASSE;Staf;dinas uji;pemerintah\n"
        )
        assert second.imported == 0
        assert second.rejected == []
        assert [p.reason for p in second.already_listed] == ["already on the invitee list"]


def test_the_kiosk_search_folds_case_beyond_ascii(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        report = invitees.import_csv(
            DEMO,
            "nama;jabatan;instansi;kategori\nÉLISE ÑÚÑEZ;Staf;Dinas Uji;pemerintah\n"
            "Gertrud Straße;Staf;Ĳssel Ōkubo;pemerintah\n".encode(),
        )
        assert report.imported == 2
    enrol(app, client)
    for query, expected in [
        ("élise", "ÉLISE ÑÚÑEZ"),
        ("ÑÚÑ", "ÉLISE ÑÚÑEZ"),
        ("strasse", "Gertrud Straße"),
        ("STRASSE", "Gertrud Straße"),
        ("ōkubo", "Gertrud Straße"),
    ]:
        found = client.get(f"/kiosk/invitees?q={query}").get_json()["invitees"]
        assert [i["name"] for i in found] == [expected], query


def test_name_key_is_the_rule() -> None:
    assert name_key("ÉLISE  ÑÚÑEZ") == name_key("élise ñúñez") == "élise ñúñez"
    assert name_key("Straße") == name_key("STRASSE") == "strasse"
    assert name_key("Nur’aini") == name_key("Nur'aini")
    assert name_key("ﬁrdaus") == name_key("Firdaus")  # NFKC: the ligature is f and i
    assert name_key("Ayu Lestari") != name_key("Ayu Lestary")


# -- the migration backfills the keys ------------------------------------------------------------


def test_migration_0010_backfills_the_keys(env: Env) -> None:
    app = create_app(env.config(), startup_checks=False)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0006")
        db.session.execute(
            text("INSERT INTO commitment (id, slug, created_at) VALUES (1, 'uji', :t)"),
            {"t": "2024-09-12 00:00:00"},
        )
        for i, (name, institution) in enumerate([("ÉLISE ÑÚÑEZ", "Dinas Straße"), ("Nur’aini", "RT 01")], 1):
            db.session.execute(
                text(
                    "INSERT INTO invitee (id, commitment_id, name, position, institution, category, walk_in, created_at)"
                    " VALUES (:i, 1, :n, 'Staf', :s, 'pemerintah', false, :t)"
                ),
                {"i": i, "n": name, "s": institution, "t": "2024-09-12 00:00:00"},
            )
        db.session.commit()
        upgrade(directory=directory)
        rows = db.session.execute(select(Invitee).order_by(Invitee.id)).scalars().all()
        assert [(r.name_key, r.institution_key) for r in rows] == [
            ("élise ñúñez", "dinas strasse"),
            ("nur'aini", "rt 01"),
        ]
        db.session.remove()
        db.engine.dispose()
