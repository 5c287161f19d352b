"""Tampering behind the app's back, seen from every surface a person or an integrator reads.

An attacker with database access edits a commitment version or a signature's rows directly; every
page, document and API that would display the edited data must show an integrity error (never
"valid", never the forged value). `ikrar log verify` and `ikrar audit` are checked in
tests/test_tamper_matrix.py; this file is about what people see.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, text

from registry.extensions import db
from registry.models import SignatureRecord
from registry.services import certificates, signing, withdrawals
from tests.conftest import Env, sign_in
from tests.factories import DEMO, walk_in

FORGED = "Bupati Palsu"


@dataclass
class Signed:
    ids: list[str]
    codes: list[str]
    names: list[str]


@pytest.fixture
def signed(app: Flask) -> Signed:
    names = ["Sri Wahyuningsih", "Agus Priyanto", "Dyah Kusumawati"]
    ids, codes = [], []
    with app.app_context():
        for name in names:
            row = signing.sign(walk_in(name), app.extensions["ikrar.signers"]).record
            ids.append(row.id)
            codes.append(row.code)
        withdrawals.withdraw(ids[2], "ditandatangani oleh orang yang salah", "admin-test")
    return Signed(ids, codes, names)


@pytest.fixture
def raw(signed: Signed, env: Env) -> Iterator[Connection]:
    """A connection that bypasses Ikrar, as an attacker with database access would."""
    engine = create_engine(env.database_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn
    engine.dispose()


@pytest.fixture
def staff(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(app, client, "admin")
    return client


def _forget_caches(app: Flask) -> None:
    """A new request in a long-running server sees the edit (per-app caches hold only verified keys)."""
    with app.app_context():
        db.session.remove()


def _version_row(conn: Connection) -> tuple[int, str, str]:
    row = conn.execute(
        text(
            "SELECT v.id, v.title, v.text FROM commitment_version v JOIN commitment c ON c.id = v.commitment_id "
            "WHERE c.slug = :s AND v.status != 'draft' ORDER BY v.version DESC"
        ),
        {"s": DEMO},
    ).first()
    assert row is not None
    return int(row[0]), str(row[1]), str(row[2])


def _sha256(value: str) -> str:
    import hashlib

    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def forge_title(conn: Connection) -> str:
    vid, _, _ = _version_row(conn)
    conn.execute(text("UPDATE commitment_version SET title = :t WHERE id = :i"), {"t": FORGED, "i": vid})
    return FORGED


def forge_text(conn: Connection) -> str:
    """The smarter attacker: new text and its hash column recomputed to match."""
    vid, _, old = _version_row(conn)
    forged = old + "\n\nPasal tambahan yang tidak pernah ditandatangani oleh " + FORGED + "."
    conn.execute(
        text("UPDATE commitment_version SET text = :t, text_sha256 = :h WHERE id = :i"),
        {"t": forged, "h": _sha256(forged), "i": vid},
    )
    return FORGED


def forge_consent(conn: Connection) -> str:
    vid, _, _ = _version_row(conn)
    forged = "Saya setuju data saya dijual kepada " + FORGED + "."
    conn.execute(
        text("UPDATE commitment_version SET consent_text = :t, consent_sha256 = :h WHERE id = :i"),
        {"t": forged, "h": _sha256(forged), "i": vid},
    )
    return FORGED


def forge_dimension_label(conn: Connection) -> str:
    vid, _, _ = _version_row(conn)
    dims = conn.execute(
        text("SELECT dimensions FROM commitment_version WHERE id = :i"), {"i": vid}
    ).scalar_one()
    dims = json.loads(dims) if isinstance(dims, str) else dims
    dims[0]["label"] = FORGED
    conn.execute(
        text("UPDATE commitment_version SET dimensions = :d WHERE id = :i"), {"d": json.dumps(dims), "i": vid}
    )
    return FORGED


VERSION_FORGERIES: dict[str, Callable[[Connection], str]] = {
    "title": forge_title,
    "text": forge_text,
    "consent": forge_consent,
    "dimension-label": forge_dimension_label,
}


@pytest.mark.parametrize("forgery", sorted(VERSION_FORGERIES))
def test_forged_commitment_version_is_refused_everywhere(
    app: Flask, signed: Signed, raw: Connection, staff: FlaskClient, forgery: str
) -> None:
    client = app.test_client()
    before = client.get(f"/api/v1/commitments/{DEMO}")
    assert before.status_code == 200
    forged_value = VERSION_FORGERIES[forgery](raw)
    raw.commit()
    _forget_caches(app)

    document = client.get(f"/api/v1/commitments/{DEMO}")
    assert document.status_code == 500
    assert document.get_json()["type"] == "urn:ikrar:problem:integrity-error"
    assert forged_value not in document.get_data(as_text=True)
    listing = client.get("/api/v1/commitments")
    assert listing.status_code == 500 and forged_value not in listing.get_data(as_text=True)

    for path in (f"/c/{DEMO}", f"/v/{signed.codes[0]}", f"/api/v1/verify/{signed.codes[0]}"):
        answer = client.get(path)
        body = answer.get_data(as_text=True)
        assert forged_value not in body, path
        if path.startswith("/api/v1/verify"):
            assert answer.get_json()["status"] == "invalid"
        elif path.startswith("/v/"):
            assert 'data-status="invalid"' in body
        else:
            assert answer.status_code == 500 and "ntegrit" in body
    signature = client.get(f"/api/v1/signatures/{signed.ids[0]}").get_json()
    assert signature["status"] == "invalid" and "record" not in signature

    token = _token(app, signed.ids[0])
    pdf = client.get(f"/api/v1/signatures/{signed.ids[0]}/certificate.pdf?t={token}")
    assert pdf.status_code == 500 and pdf.mimetype != "application/pdf"
    for path in (
        f"/admin/commitments/{DEMO}/v1/roll.pdf",
        f"/admin/commitments/{DEMO}/certificates.zip",
        f"/admin/commitments/{DEMO}/versions/1/progress",
    ):
        answer = staff.get(path)
        assert answer.status_code == 500, path
        assert forged_value not in answer.get_data(as_text=True), path
        assert answer.mimetype not in ("application/pdf", "application/zip"), path


def _token(app: Flask, record_id: str) -> str:
    with app.app_context():
        return certificates.certificate_token(record_id)


def forge_name_column(conn: Connection, ids: list[str]) -> int:
    conn.execute(text("UPDATE signature_record SET name = :n WHERE id = :i"), {"n": FORGED, "i": ids[0]})
    return 0


def forge_institution_column(conn: Connection, ids: list[str]) -> int:
    conn.execute(
        text("UPDATE signature_record SET institution = :n WHERE id = :i"), {"n": FORGED, "i": ids[0]}
    )
    return 0


def forge_signed_bytes(conn: Connection, ids: list[str]) -> int:
    body = bytes(
        conn.execute(text("SELECT body FROM signature_record WHERE id = :i"), {"i": ids[0]}).scalar_one()
    )
    forged = body.replace(b"Sri Wahyuningsih", FORGED.encode()[:16].ljust(16, b"x"))
    conn.execute(text("UPDATE signature_record SET body = :b WHERE id = :i"), {"b": forged, "i": ids[0]})
    return 0


def swap_strokes(conn: Connection, ids: list[str]) -> int:
    a, b = (
        bytes(conn.execute(text("SELECT strokes FROM signature_record WHERE id = :i"), {"i": i}).scalar_one())
        for i in ids[:2]
    )
    conn.execute(text("UPDATE signature_record SET strokes = :s WHERE id = :i"), {"s": b, "i": ids[0]})
    conn.execute(text("UPDATE signature_record SET strokes = :s WHERE id = :i"), {"s": a, "i": ids[1]})
    return 0


def delete_withdrawal(conn: Connection, ids: list[str]) -> int:
    conn.execute(text("DELETE FROM withdrawal WHERE record_id = :i"), {"i": ids[2]})
    return 2


def edit_withdrawal_reason(conn: Connection, ids: list[str]) -> int:
    conn.execute(
        text("UPDATE withdrawal SET reason = :r WHERE record_id = :i"), {"r": FORGED * 2, "i": ids[2]}
    )
    return 2


RECORD_FORGERIES: dict[str, Callable[[Connection, list[str]], int]] = {
    "name-column": forge_name_column,
    "institution-column": forge_institution_column,
    "signed-bytes": forge_signed_bytes,
    "strokes-swapped": swap_strokes,
    "withdrawal-deleted": delete_withdrawal,
    "withdrawal-reason": edit_withdrawal_reason,
}


@pytest.mark.parametrize("forgery", sorted(RECORD_FORGERIES))
def test_forged_signature_rows_show_integrity_errors_on_every_surface(
    app: Flask, signed: Signed, raw: Connection, staff: FlaskClient, forgery: str
) -> None:
    client = app.test_client()
    target = RECORD_FORGERIES[forgery](raw, signed.ids)
    raw.commit()
    _forget_caches(app)
    record_id, code = signed.ids[target], signed.codes[target]

    status = client.get(f"/api/v1/verify/{code}").get_json()
    assert status["status"] == "invalid", status
    page = client.get(f"/v/{code}").get_data(as_text=True)
    assert 'data-status="invalid"' in page and FORGED not in page
    document = client.get(f"/api/v1/signatures/{record_id}").get_json()
    assert document["status"] == "invalid" and "record" not in document

    public = client.get(f"/c/{DEMO}").get_data(as_text=True)
    assert FORGED not in public
    assert 'id="integrity-errors"' in public
    if target == 0:
        assert signed.names[0] not in public  # the row is not vouched for, not even its genuine name

    progress = staff.get(f"/admin/commitments/{DEMO}/versions/1/progress").get_data(as_text=True)
    assert FORGED not in progress and 'id="integrity-errors"' in progress
    admin_page = staff.get(f"/admin/signatures/{record_id}").get_data(as_text=True)
    assert FORGED not in admin_page and 'id="integrity-error"' in admin_page

    token = _token(app, record_id)
    pdf = client.get(f"/api/v1/signatures/{record_id}/certificate.pdf?t={token}")
    assert pdf.status_code == 500 and pdf.mimetype != "application/pdf"
    for path in (f"/admin/commitments/{DEMO}/v1/roll.pdf", f"/admin/commitments/{DEMO}/certificates.zip"):
        answer = staff.get(path)
        assert answer.status_code == 500, path
        assert FORGED not in answer.get_data(as_text=True)

    # The untouched signature next to it is still shown as it was sealed.
    other = 1 if target != 1 and forgery != "strokes-swapped" else None
    if other is not None:
        assert client.get(f"/api/v1/verify/{signed.codes[other]}").get_json()["status"] == "valid"


def test_untampered_registry_shows_everything_valid(app: Flask, signed: Signed, staff: FlaskClient) -> None:
    """The control: the same surfaces, no tampering → no integrity error anywhere."""
    client = app.test_client()
    statuses = [client.get(f"/api/v1/verify/{c}").get_json()["status"] for c in signed.codes]
    assert statuses == ["valid", "valid", "withdrawn"]
    assert client.get(f"/api/v1/commitments/{DEMO}").status_code == 200
    public = client.get(f"/c/{DEMO}").get_data(as_text=True)
    assert "integrity-errors" not in public and signed.names[0] in public
    progress = staff.get(f"/admin/commitments/{DEMO}/versions/1/progress").get_data(as_text=True)
    assert "integrity-errors" not in progress
    assert staff.get(f"/admin/commitments/{DEMO}/v1/roll.pdf").mimetype == "application/pdf"
    assert staff.get(f"/admin/commitments/{DEMO}/certificates.zip").status_code == 200
    with app.app_context():
        row = db.session.get(SignatureRecord, signed.ids[0])
        assert row is not None
        token = certificates.certificate_token(row.id)
    assert client.get(f"/api/v1/signatures/{signed.ids[0]}/certificate.pdf?t={token}").mimetype == (
        "application/pdf"
    )


def flag_version_as_draft(conn: Connection) -> str:
    """A published version flagged back to draft, with a forged title: the status is not trusted."""
    vid, _, _ = _version_row(conn)
    conn.execute(
        text("UPDATE commitment_version SET title = :t, status = 'draft' WHERE id = :i"),
        {"t": FORGED, "i": vid},
    )
    return FORGED


def test_a_published_version_flagged_back_to_draft_is_still_bound(
    app: Flask, signed: Signed, raw: Connection, staff: FlaskClient
) -> None:
    client = app.test_client()
    flag_version_as_draft(raw)
    raw.commit()
    _forget_caches(app)
    assert client.get(f"/api/v1/verify/{signed.codes[0]}").get_json()["status"] == "invalid"
    page = client.get(f"/v/{signed.codes[0]}").get_data(as_text=True)
    assert FORGED not in page and 'data-status="invalid"' in page
    token = _token(app, signed.ids[0])
    assert client.get(f"/api/v1/signatures/{signed.ids[0]}/certificate.pdf?t={token}").status_code == 500
    for path in (
        f"/admin/commitments/{DEMO}/v1/roll.pdf",
        f"/admin/commitments/{DEMO}/certificates.zip",
        f"/admin/commitments/{DEMO}/versions/1/progress",
        f"/admin/signatures/{signed.ids[0]}",
    ):
        answer = staff.get(path)
        assert FORGED not in answer.get_data(as_text=True), path
        assert answer.status_code == 500 or "integrity-error" in answer.get_data(as_text=True), path


def test_a_closed_version_reopened_in_the_database_signs_nothing(
    app: Flask, signed: Signed, raw: Connection
) -> None:
    from registry.services import commitments
    from registry.services.errors import IntegrityFailure

    with app.app_context():
        commitments.close(DEMO, 1)
    vid, _, _ = _version_row(raw)
    raw.execute(
        text("UPDATE commitment_version SET status = 'open', closed_at = NULL WHERE id = :i"), {"i": vid}
    )
    raw.commit()
    _forget_caches(app)
    client = app.test_client()
    assert client.get(f"/api/v1/commitments/{DEMO}").status_code == 500
    with app.app_context(), pytest.raises(IntegrityFailure):
        signing.sign(walk_in("Penanda Tangan Baru"), app.extensions["ikrar.signers"])
    with app.app_context():
        assert db.session.query(SignatureRecord).count() == len(signed.ids)


def test_a_swapped_log_index_is_an_integrity_error(app: Flask, signed: Signed, raw: Connection) -> None:
    rows = dict(
        (str(i), int(x))
        for i, x in raw.execute(
            text("SELECT id, log_index FROM signature_record WHERE id IN (:a, :b)"),
            {"a": signed.ids[0], "b": signed.ids[1]},
        )
    )
    a, b = rows[signed.ids[0]], rows[signed.ids[1]]
    # Through a free index first: log_index is unique.
    raw.execute(
        text("UPDATE signature_record SET log_index = :x WHERE id = :i"),
        {"x": 10_000_000, "i": signed.ids[0]},
    )
    raw.execute(
        text("UPDATE signature_record SET log_index = :x WHERE id = :i"), {"x": a, "i": signed.ids[1]}
    )
    raw.execute(
        text("UPDATE signature_record SET log_index = :x WHERE id = :i"), {"x": b, "i": signed.ids[0]}
    )
    raw.commit()
    _forget_caches(app)
    client = app.test_client()
    for code in signed.codes[:2]:
        assert client.get(f"/api/v1/verify/{code}").get_json()["status"] == "invalid"
    assert client.get(f"/api/v1/signatures/{signed.ids[0]}").get_json()["status"] == "invalid"


def test_a_withdrawal_committed_after_a_row_was_read_is_not_an_integrity_error(
    app: Flask, signed: Signed
) -> None:
    """The withdrawal index is shared by all requests: one may hold an entry newer than the row
    another request read a moment before. That request sees valid or withdrawn, never invalid."""
    from registry.services import sealed

    with app.app_context():
        row = db.session.get(SignatureRecord, signed.ids[1])
        assert row is not None and row.withdrawal is None  # read before the withdrawal commits
        with app.app_context():  # another request: withdraws, and refreshes the shared index
            withdrawals.withdraw(signed.ids[1], "ditandatangani oleh orang yang salah", "admin-test")
            sealed.logged_withdrawals()
        checked = sealed.check(row)
        assert checked.status in ("valid", "withdrawn"), checked.problem
