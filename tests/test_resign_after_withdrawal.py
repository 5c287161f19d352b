"""After a withdrawal (a signature made in error) the invitee can sign again, and is counted once.

Before: the kiosk showed them as "sudah menandatangani" with the button disabled, signing again was
a 409, and the progress page counted the withdrawn signature ("6 / 6 … Semua undangan sudah
menandatangani").
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.extensions import db
from registry.models import Invitee, SignatureRecord
from registry.services import integrity, invitees, signing
from registry.services.errors import AlreadySigned
from registry.services.withdrawals import withdraw
from tests.factories import DEMO, walk_in
from tests.test_kiosk import enrol


def _invitee_id(name: str) -> int:
    return int(db.session.execute(select(Invitee.id).where(Invitee.name == name)).scalar_one())


def test_a_withdrawn_invitee_signs_again_and_counts_once(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        who = _invitee_id("Agus Priyanto")
        request = walk_in("x", signatory=None, invitee_id=who)
        first = signing.sign(request, app.extensions["ikrar.signers"]).record.id
        with pytest.raises(AlreadySigned):
            signing.sign(walk_in("x", signatory=None, invitee_id=who), app.extensions["ikrar.signers"])
        withdraw(first, "Ditandatangani oleh ajudan atas nama direktur.", "admin-1")
        before = invitees.progress(DEMO, 1)
        assert before.invited_signed == 0 and who in [i.id for i in before.not_signed]
    enrol(app, client)
    found = client.get("/kiosk/invitees?q=agus priyanto").get_json()["invitees"]
    assert found[0]["id"] == who and found[0]["signed"] is False
    roster = {i["id"]: i for i in client.get("/kiosk/roster").get_json()["invitees"]}
    assert roster[who]["signed"] is False
    with app.app_context():
        second = signing.sign(walk_in("x", signatory=None, invitee_id=who), app.extensions["ikrar.signers"])
        assert second.created and second.record.id != first
        after = invitees.progress(DEMO, 1)
        assert after.invited_signed == 1 and after.withdrawn == 1 and len(after.signed) == 2
        rows = (
            db.session.execute(select(SignatureRecord).where(SignatureRecord.invitee_id == who))
            .scalars()
            .all()
        )
        assert len(rows) == 2
        # A third attempt while the second stands is refused again.
        with pytest.raises(AlreadySigned):
            signing.sign(walk_in("x", signatory=None, invitee_id=who), app.extensions["ikrar.signers"])
        assert integrity.verify_database().records >= 2
    assert client.get("/kiosk/invitees?q=agus priyanto").get_json()["invitees"][0]["signed"] is True
