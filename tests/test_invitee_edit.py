"""An admin corrects an invitee's typo before they sign; every correction is kept and logged.

A signed record's name is in its signed bytes: a signed invitee cannot be corrected (withdraw the
signature first). Hostile input is refused with a message and changes nothing.
"""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.extensions import db
from registry.models import Invitee, InviteeChange
from registry.services import erasure, withdrawals
from tests.conftest import Env, csrf_token, sign_in
from tests.factories import DEMO
from tests.test_kiosk import enrol
from tests.test_kiosk import sign as kiosk_sign


def _invitee_id(app: Flask, name: str) -> int:
    with app.app_context():
        return int(db.session.query(Invitee.id).filter(Invitee.name == name).one()[0])


def _admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(app, client, "admin", "admin-ayu")
    return client


def _edit(client: FlaskClient, invitee_id: int, **fields: str) -> tuple[int, str]:
    path = f"/admin/commitments/{DEMO}/invitees/{invitee_id}/edit"
    data = {
        "name": "Agus Priyanto",
        "position": "Direktur Utama",
        "institution": "PT Perwira Digital Nusantara",
        "category": "badan-usaha",
        "reason": "",
        "csrf_token": csrf_token(client, path),
    }
    data.update(fields)
    response = client.post(path, data=data)
    return response.status_code, response.get_data(as_text=True)


def _row(app: Flask, invitee_id: int) -> tuple[str, str, str, str]:
    with app.app_context():
        i = db.session.get(Invitee, invitee_id)
        assert i is not None
        return (i.name, i.position, i.institution, i.category)


def test_admin_corrects_a_typo_history_and_kiosk_follow(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    agus = _invitee_id(app, "Agus Priyanto")
    client = _admin(app)
    with caplog.at_level(logging.WARNING, logger="ikrar.security"):
        status, _page = _edit(client, agus, name="Agus Prijanto", reason="ejaan lama di undangan")
    assert status == 303
    assert _row(app, agus)[0] == "Agus Prijanto"
    with app.app_context():
        changes = db.session.query(InviteeChange).all()
        assert len(changes) == 1
        change = changes[0]
        assert change.actor == "admin-ayu" and change.reason == "ejaan lama di undangan"
        assert change.old["name"] == "Agus Priyanto" and change.new["name"] == "Agus Prijanto"
    page = client.get(f"/admin/commitments/{DEMO}").get_data(as_text=True)
    history = page.split('id="changes"', 1)[1]
    assert "Agus Priyanto" in history and "Agus Prijanto" in history and "admin-ayu" in history
    # The security log names the account and ids, never the names.
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ikrar.security"]
    corrected = [e for e in events if e["event"] == "invitee.corrected"]
    assert corrected and corrected[0]["account"] == "admin-ayu" and corrected[0]["fields"] == "name"
    assert "Prijanto" not in json.dumps(events) and "Priyanto" not in json.dumps(events)
    # The tablet's roster shows the corrected name.
    tablet = app.test_client()
    enrol(app, tablet)
    names = [i["name"] for i in tablet.get("/kiosk/roster").get_json()["invitees"]]
    assert "Agus Prijanto" in names and "Agus Priyanto" not in names
    assert [i["name"] for i in tablet.get("/kiosk/invitees?q=prijanto").get_json()["invitees"]] == [
        "Agus Prijanto"
    ]


def test_a_signed_invitee_cannot_be_corrected_until_withdrawn(app: Flask) -> None:
    agus = _invitee_id(app, "Agus Priyanto")
    tablet = app.test_client()
    enrol(app, tablet)
    record_id = kiosk_sign(tablet, invitee_id=agus).get_json()["id"]
    client = _admin(app)
    page = client.get(f"/admin/commitments/{DEMO}/invitees/{agus}/edit").get_data(as_text=True)
    assert 'id="signed-notice"' in page and 'id="edit-form"' not in page
    assert "tarik tanda tangannya" in page
    status, page = _edit(client, agus, name="Agus Prijanto")
    assert status == 409 and 'id="edit-error"' in page and "withdraw" not in page
    assert "tidak dapat diubah" in page or "tanda tangan" in page
    assert _row(app, agus)[0] == "Agus Priyanto"
    with app.app_context():
        assert db.session.query(InviteeChange).count() == 0
    # After the signature made in error is withdrawn, the details may be corrected and signed again.
    with app.app_context():
        withdrawals.withdraw(record_id, "Nama salah eja pada undangan", "admin")
    status, _page = _edit(client, agus, name="Agus Prijanto")
    assert status == 303 and _row(app, agus)[0] == "Agus Prijanto"


def test_a_duplicate_of_another_invitee_is_refused(app: Flask) -> None:
    agus = _invitee_id(app, "Agus Priyanto")
    client = _admin(app)
    status, page = _edit(
        client,
        agus,
        name="YUSUF HIDAYAT",
        position="Pemimpin Redaksi",
        institution="Radio Suara Perwira",
        category="media",
    )
    assert status == 409 and 'id="edit-error"' in page
    assert _row(app, agus)[0] == "Agus Priyanto"


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"name": "<img src=x onerror=alert(1)>"}, "name"),
        ({"name": "Agus\x00Priyanto"}, "name"),
        ({"position": "Direktur\x1b[31m"}, "position"),
        ({"institution": "PT \u202eevil"}, "institution"),
        ({"name": "Agus\u200bPriyanto"}, "U+200B"),
        ({"category": "alien"}, "alien"),
        ({"name": "   "}, "name"),
        ({"name": "A" * 201}, "name"),
        ({"reason": "<script>x</script>"}, "reason"),
        ({}, ""),  # nothing changed
    ],
)
def test_hostile_or_empty_edits_are_refused_and_change_nothing(
    app: Flask, fields: dict[str, str], shown: str
) -> None:
    agus = _invitee_id(app, "Agus Priyanto")
    before = _row(app, agus)
    client = _admin(app)
    status, page = _edit(client, agus, **fields)
    assert status == 400 and 'id="edit-error"' in page and shown in page
    assert "<img src=x" not in page and "<script>x" not in page
    assert _row(app, agus) == before
    with app.app_context():
        assert db.session.query(InviteeChange).count() == 0


def test_only_admins_edit(app: Flask) -> None:
    agus = _invitee_id(app, "Agus Priyanto")
    path = f"/admin/commitments/{DEMO}/invitees/{agus}/edit"
    for role in ("operator", "auditor"):
        client = app.test_client()
        sign_in(app, client, role)
        assert client.get(path).status_code == 403
        assert client.post(path, data={"name": "X"}).status_code in (400, 403)
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert _row(app, agus)[0] == "Agus Priyanto"


def test_an_invitee_of_another_commitment_is_404(app: Flask) -> None:
    client = _admin(app)
    assert client.get(f"/admin/commitments/{DEMO}/invitees/99999/edit").status_code == 404
    assert client.get("/admin/commitments/nope/invitees/1/edit").status_code == 404


def test_erasure_takes_the_corrections_with_the_invitee(app: Flask) -> None:
    agus = _invitee_id(app, "Agus Priyanto")
    client = _admin(app)
    assert _edit(client, agus, name="Agus Prijanto")[0] == 303
    with app.app_context():
        erasure.erase([], ground="request", actor="test", invitee_ids=[agus])
        assert db.session.get(Invitee, agus) is None
        assert db.session.query(InviteeChange).count() == 0


def test_migration_0013_downgrades_and_upgrades(env: Env) -> None:
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from registry.app import create_app

    application = create_app(env.config(), startup_checks=False)
    directory = application.extensions["migrate"].directory
    with application.app_context():
        upgrade(directory=directory)
        assert "invitee_change" in inspect(db.engine).get_table_names()
        downgrade(directory=directory, revision="0012")
        assert "invitee_change" not in inspect(db.engine).get_table_names()
        upgrade(directory=directory)
        columns = {c["name"] for c in inspect(db.engine).get_columns("invitee_change")}
        assert columns == {"id", "invitee_id", "commitment_id", "actor", "changed_at", "old", "new", "reason"}
        db.session.remove()
        db.engine.dispose()
