"""A walk-in whose name is a listed invitee's, but who was not linked, is flagged on both progress pages.

The offline tablet tells the signer's operator once (sync.js); the progress pages keep saying it,
so the operator can check whether that walk-in is the invitee (a possible duplicate).
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token, sign_in
from tests.factories import DEMO
from tests.test_offline_linking import add_listed, walk_in
from tests.test_signing_api import body, device_token, post

ADMIN_PAGE = f"/admin/commitments/{DEMO}/versions/1/progress"
DESK_PAGE = f"/operator/commitments/{DEMO}/versions/1/progress"
FLAG = "mungkin sama dengan undangan: "


def signed_rows(html: str) -> dict[str, str]:
    """The rows of the signed table by their first cell's leading text (the signer's name)."""
    table = re.search(r'<table id="signed">(.*?)</table>', html, re.S)
    assert table, "no table of signatures"
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cell = re.search(r"<td>(.*?)</td>", row, re.S)
        if cell:
            rows[re.split(r"\s*<", cell.group(1).strip())[0]] = cell.group(1)
    return rows


def staff(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    sign_in(app, client, role)
    return client


def test_an_unlinked_namesake_is_flagged_and_others_are_not(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    # Another institution: the same name, not linked (a doubt the operator must check).
    doubtful = post(
        client, token, walk_in(name="Bambang Setiawan", institution="Dinas Uji Coba"), key="flag-doubt"
    )
    assert doubtful.get_json()["listed_namesakes"], doubtful.get_json()
    # Two listed namesakes: not guessed between, both named.
    add_listed(app, "Sri Wahyuni, S.Pd.", "SMA Negeri 1 Purbalingga", "akademisi")
    add_listed(app, "Hj. Sri Wahyuni", "Puskesmas Kutasari", "akademisi")
    twice = walk_in(name="sri wahyuni", institution="Universitas Jenderal Soedirman", category="akademisi")
    assert len(post(client, token, twice, key="flag-two").get_json()["listed_namesakes"]) == 2
    # Linked to the list (the same person): no walk-in, nothing to flag.
    assert post(client, token, walk_in(), key="flag-linked").get_json()["linked_invitee"] is True
    # A walk-in whose name nobody on the list has.
    stranger = body(
        signatory={
            "name": "Sekar Ayu Lestari",
            "position": "Ketua",
            "institution": "Karang Taruna",
            "category": "komunitas",
        }
    )
    assert post(client, token, stranger, key="flag-stranger").status_code == 201

    for role, page in (("admin", ADMIN_PAGE), ("operator", DESK_PAGE)):
        response = staff(app, role).get(page)
        assert response.status_code == 200
        rows = signed_rows(response.get_data(as_text=True))
        flagged = {name: cell.split(FLAG, 1)[1] for name, cell in rows.items() if FLAG in cell}
        assert set(rows) == {"Bambang Setiawan", "sri wahyuni", "bambang SETIAWAN", "Sekar Ayu Lestari"}
        assert set(flagged) == {"Bambang Setiawan", "sri wahyuni"}, (role, rows)
        assert flagged["Bambang Setiawan"].startswith("Ir. Bambang Setiawan<")
        assert flagged["sri wahyuni"].startswith("Hj. Sri Wahyuni, Sri Wahyuni, S.Pd.<")


def test_the_flag_is_translated(app: Flask, client: FlaskClient) -> None:
    token = device_token(app)
    assert post(client, token, walk_in(institution="Dinas Uji Coba")).status_code == 201
    desk = staff(app, "operator")
    chosen = desk.post(
        "/lang", data={"lang": "en", "next": DESK_PAGE, "csrf_token": csrf_token(desk, DESK_PAGE)}
    )
    assert chosen.status_code in (302, 303)
    html = desk.get(DESK_PAGE).get_data(as_text=True)
    assert "may be the same as invitee: Ir. Bambang Setiawan" in html
    assert FLAG not in html
