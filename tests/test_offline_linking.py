"""A walk-in who is on the list (typed offline, or the tablet's roster was older) is linked, never a duplicate.

The rule (registry/services/walk_ins.py): the same name as a person says it (titles, accents,
case, word order ignored), the same category, institutions that agree, exactly one such listed
invitee. Then the signature counts for that invitee (409 if they already signed); otherwise the
walk-in is registered as typed and the answer names the listed namesakes.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.core import name_search
from registry.extensions import db
from registry.models import Commitment, Invitee, SignatureRecord
from registry.services import invitees
from tests.factories import DEMO
from tests.test_signing_api import body, device_token, post

BAMBANG = {
    "name": "bambang SETIAWAN",  # listed as "Ir. Bambang Setiawan"
    "position": "Kepala",
    "institution": "Bappelitbangda Purbalingga",  # listed: "Bappelitbangda Kabupaten Purbalingga"
    "category": "pemerintah",
}


def walk_in(**signatory: str) -> dict[str, Any]:
    return body(signatory=BAMBANG | signatory)


def as_invitee(listed: int, **extra: Any) -> dict[str, Any]:
    document = body(invitee_id=listed, **extra)
    del document["signatory"]
    return document


def invitee_id(app: Flask, name: str) -> int:
    with app.app_context():
        return int(db.session.execute(select(Invitee.id).where(Invitee.name == name)).scalar_one())


def add_listed(app: Flask, name: str, institution: str, category: str = "pemerintah") -> int:
    """An invitee added to the list (e.g. after a tablet loaded its roster)."""
    with app.app_context():
        commitment = db.session.execute(select(Commitment).where(Commitment.slug == DEMO)).scalar_one()
        row = Invitee(
            commitment_id=commitment.id,
            name=name,
            position="Staf",
            institution=institution,
            category=category,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def people(app: Flask) -> tuple[int, int]:
    """(signatures, invitee rows)."""
    with app.app_context():
        return (
            db.session.execute(select(func.count()).select_from(SignatureRecord)).scalar_one(),
            db.session.execute(select(func.count()).select_from(Invitee)).scalar_one(),
        )


def test_the_rule_of_the_same_person() -> None:
    assert name_search.person_key("Ir. Bambang Setiawan") == name_search.person_key("setiawan bambang")
    assert name_search.person_key("Dra. Sri Wahyuningsih, M.Si.") == name_search.person_key(
        "Ibu Sri Wahyuningsih"
    )
    assert name_search.person_key("Ségara Putri") == name_search.person_key("segara putri")
    assert name_search.person_key("Bambang Setiawan") != name_search.person_key("Bambang Setiawan Putra")
    assert name_search.institutions_agree("Dinas Kominfo", "Dinas Kominfo Kabupaten Purbalingga")
    assert name_search.institutions_agree("DINAS KOMINFO KAB. PURBALINGGA", "Dinas Kominfo Kab Purbalingga")
    assert not name_search.institutions_agree("Dinas Uji Coba", "Dinas Kominfo Kabupaten Purbalingga")
    assert not name_search.institutions_agree("Diskominfo", "Dinas Kominfo Kabupaten Purbalingga")
    assert not name_search.institutions_agree("", "Dinas Kominfo")


def test_a_walk_in_who_is_listed_signs_as_the_invitee_and_a_replay_says_the_same(
    app: Flask, client: FlaskClient
) -> None:
    token = device_token(app)
    listed = invitee_id(app, "Ir. Bambang Setiawan")
    before = people(app)
    first = post(client, token, walk_in(), key="walk-in-bambang-1")
    assert first.status_code == 201, first.get_json()
    document = first.get_json()
    assert document["linked_invitee"] is True and document["listed_namesakes"] == []
    # The record signs what the signer typed and confirmed; the signature counts for the invitee.
    assert document["record"]["signatory"]["name"] == "bambang SETIAWAN"
    assert people(app) == (before[0] + 1, before[1])  # no walk-in row
    with app.app_context():
        row = db.session.get(SignatureRecord, document["id"])
        assert row is not None and row.invitee_id == listed
        progress = invitees.progress(DEMO, 1)
        assert progress.invited_signed == 1 and progress.walk_ins == 0
        assert listed not in [i.id for i in progress.not_signed]
    again = post(client, token, walk_in(), key="walk-in-bambang-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == document
    assert people(app) == (before[0] + 1, before[1])


def test_a_walk_in_who_is_a_listed_invitee_that_signed_is_refused(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    listed = invitee_id(app, "Ir. Bambang Setiawan")
    signed = post(client, token, as_invitee(listed))
    assert signed.status_code == 201, signed.get_json()
    before = people(app)
    # Queued offline on another tablet: the same person, typed as a walk-in, in another word order.
    refused = post(client, token, walk_in(name="Setiawan, Bambang"))
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["type"] == "urn:ikrar:problem:already-signed"
    assert "Ir. Bambang Setiawan" in problem["detail"]
    assert people(app) == before


def test_two_listed_namesakes_are_not_guessed_between(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    first = invitee_id(app, "Ir. Bambang Setiawan")
    second = add_listed(app, "Bambang Setiawan, S.T.", "Bappelitbangda Kabupaten Purbalingga")
    before = people(app)
    response = post(client, token, walk_in(), key="walk-in-namesake")
    assert response.status_code == 201, response.get_json()
    document = response.get_json()
    # A walk-in as typed, and the answer says who it may be: never a silent duplicate.
    assert document["linked_invitee"] is False and document["listed_namesakes"] == sorted([first, second])
    assert people(app) == (before[0] + 1, before[1] + 1)
    with app.app_context():
        row = db.session.get(SignatureRecord, document["id"])
        assert row is not None and row.invitee_id not in (first, second)
        assert invitees.progress(DEMO, 1).walk_ins == 1
    replay = post(client, token, walk_in(), key="walk-in-namesake")
    assert replay.status_code == 201 and replay.get_json() == document


@pytest.mark.parametrize(
    "typed",
    [
        {"institution": "Dinas Uji Coba"},  # the same name at another institution
        {"institution": "Bappelitbangda Purbalingga", "category": "akademisi"},  # another category
    ],
)
def test_a_contradiction_keeps_the_walk_in_and_names_the_namesake(
    app: Flask, client: FlaskClient, typed: dict[str, str]
) -> None:
    token = device_token(app)
    listed = invitee_id(app, "Ir. Bambang Setiawan")
    response = post(client, token, walk_in(**typed))
    assert response.status_code == 201, response.get_json()
    document = response.get_json()
    assert document["linked_invitee"] is False and document["listed_namesakes"] == [listed]
    with app.app_context():
        assert listed in [i.id for i in invitees.progress(DEMO, 1).not_signed]


def test_a_signer_who_said_not_me_is_not_linked(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    listed = invitee_id(app, "Ir. Bambang Setiawan")
    declined = walk_in() | {"link_invitee": False}
    response = post(client, token, declined, key="walk-in-not-me")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["linked_invitee"] is False
    assert response.get_json()["listed_namesakes"] == [listed]
    # The refusal is part of the request: the same key with the link allowed is another request.
    assert post(client, token, walk_in(), key="walk-in-not-me").status_code == 422
    # The invitee can still sign as themselves.
    own = post(client, token, as_invitee(listed))
    assert own.status_code == 201, own.get_json()


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"link_invitee": "no"}, "link_invitee"), ({"link_invitee": 0}, "link_invitee")],
)
def test_link_invitee_is_a_boolean(
    app: Flask, client: FlaskClient, extra: dict[str, Any], field: str
) -> None:
    token = device_token(app)
    response = post(client, token, walk_in() | extra)
    assert response.status_code == 422 and response.get_json()["field"] == field


def test_link_invitee_goes_with_a_walk_in_only(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    listed = invitee_id(app, "Ir. Bambang Setiawan")
    response = post(client, token, as_invitee(listed, link_invitee=False))
    assert response.status_code == 422 and response.get_json()["field"] == "link_invitee"
    assert people(app)[0] == 0
