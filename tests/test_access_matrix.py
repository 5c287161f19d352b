"""Who may see what: every principal against every route that returns personal data.

The expectations come from ONE table, ``MATRIX``, and the README's "Who may see what" table must
say exactly the same (it is parsed here), so the documented rights and the enforced ones cannot
drift apart. Below the matrix: the outside tester's two findings, reproduced.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from registry.extensions import db
from registry.models import SignatureRecord, User
from registry.services import credentials
from tests.conftest import ROOT, csrf_token, sign_in
from tests.factories import DEMO, scribble
from tests.test_kiosk import enrol, kiosk_csrf
from tests.test_kiosk import sign as kiosk_sign

PRINCIPALS = (
    "anonymous",
    "kiosk",
    "device token",
    "operator token",
    "operator",
    "auditor",
    "admin",
)
#: route (as the README's first column writes it) → status per principal, in PRINCIPALS order.
MATRIX: dict[str, tuple[int, ...]] = {
    "`GET /api/v1/signatures/<id>/certificate.pdf` without `t`": (403, 403, 403, 403, 403, 200, 200),
    "`GET /api/v1/signatures/<id>/certificate.pdf?t=<link token>`": (200, 200, 200, 200, 200, 200, 200),
    "`GET /kiosk/qr/<id>.svg`, a record this tablet made in the last 2 minutes": (
        401,
        200,
        401,
        401,
        401,
        401,
        401,
    ),
    "`GET /kiosk/qr/<id>.svg`, any other record": (401, 404, 401, 401, 401, 401, 401),
    "`GET /kiosk/invitees?q=…` (invitees of the tablet's commitment)": (401, 200, 401, 401, 401, 401, 401),
    "`GET /kiosk/roster` (the tablet's roster for offline search)": (401, 200, 401, 401, 401, 401, 401),
    "`POST /api/v1/commitments/<slug>/signatures` (sign)": (401, 201, 201, 201, 201, 403, 201),
    "`GET /admin/commitments/<slug>/v<n>/roll.pdf` (signed roll)": (302, 302, 302, 302, 403, 200, 200),
    "`GET /admin/commitments/<slug>/certificates` (ZIP page)": (302, 302, 302, 302, 403, 200, 200),
    "`GET /admin/commitments/<slug>/certificates.zip`": (302, 302, 302, 302, 403, 200, 200),
    "`GET /admin/commitments/<slug>/versions/<n>/progress`": (302, 302, 302, 302, 403, 200, 200),
    "`GET /admin/commitments/<slug>/versions/<n>/signatories.csv` (signatories as CSV)": (
        302,
        302,
        302,
        302,
        403,
        200,
        200,
    ),
    "`GET /operator/commitments/<slug>/versions/<n>/progress` (desk: read-only progress)": (
        302,
        302,
        302,
        302,
        200,
        403,
        200,
    ),
    "`GET /operator/signatures/<id>/certificate.pdf` (desk: reprint, logged)": (
        302,
        302,
        302,
        302,
        200,
        403,
        200,
    ),
    "`GET /admin/commitments/<slug>` (invitee list)": (302, 302, 302, 302, 403, 403, 200),
    "`GET /admin/signatures/<id>` (one signature, withdrawal and erasure forms)": (
        302,
        302,
        302,
        302,
        403,
        403,
        200,
    ),
    "`GET /admin/commitments/<slug>/retention` (retention period)": (302, 302, 302, 302, 403, 403, 200),
    "`GET /v/<code>` (verify page, allow-listed fields)": (200, 200, 200, 200, 200, 200, 200),
    "`GET /api/v1/verify/<code>` (same, JSON)": (200, 200, 200, 200, 200, 200, 200),
    "`GET /api/v1/signatures/<id>` (by audience; the record for auditors and admins)": (
        200,
        200,
        200,
        200,
        200,
        200,
        200,
    ),
    "`GET /c/<slug>` (public list: consenting signatories)": (200, 200, 200, 200, 200, 200, 200),
    "`GET /c/<slug>/layar` (live screen: consenting signatories)": (
        200,
        200,
        200,
        200,
        200,
        200,
        200,
    ),
}
SECTION = "## Who may see what"


@dataclass
class World:
    """The registry under test: a kiosk that has just signed, tokens, and a record made elsewhere."""

    app: Flask
    kiosk: FlaskClient
    kiosk_record: dict[str, Any]
    device_token: str
    operator_token: str
    other: dict[str, Any]
    clients: dict[str, FlaskClient] = field(default_factory=dict)


def _walk_in(name: str) -> dict[str, Any]:
    return {
        "signatory": {"name": name, "position": "Warga", "institution": "RT 09", "category": "komunitas"},
        "dimensions": ["smart-governance"],
        "consent": {"accepted": True, "public_display": False},
        "strokes": scribble(len(name)),
    }


def _bearer_sign(client: FlaskClient, token: str, name: str) -> TestResponse:
    return client.post(
        f"/api/v1/commitments/{DEMO}/signatures",
        data=json.dumps(_walk_in(name)),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
    )


def build_world(app: Flask) -> World:
    kiosk = app.test_client()
    enrol(app, kiosk)
    made = kiosk_sign(kiosk, **_walk_in("Tamu Kiosk"))
    assert made.status_code == 201, made.get_json()
    with app.app_context():
        device = credentials.issue("device", "Impor", commitment=DEMO).token
        owner = db.session.query(User).filter_by(role="operator").first()
        operator = credentials.issue("operator", "Skrip operator", user=owner).token
    other = _bearer_sign(app.test_client(), device, "Tamu Lain")
    assert other.status_code == 201, other.get_json()
    return World(app, kiosk, made.get_json(), device, operator, other.get_json())


def principal(world: World, name: str) -> tuple[FlaskClient, dict[str, str]]:
    """A client acting as ``name`` and the headers it sends with every request."""
    if name == "kiosk":
        return world.kiosk, {}
    client = world.app.test_client()
    if name == "device token":
        return client, {"Authorization": f"Bearer {world.device_token}"}
    if name == "operator token":
        return client, {"Authorization": f"Bearer {world.operator_token}"}
    if name in ("operator", "auditor", "admin"):
        sign_in(world.app, client, name)
    return client, {}


def _sign_as(world: World, who: str, client: FlaskClient, headers: dict[str, str]) -> TestResponse:
    extra = dict(headers)
    if who == "kiosk":
        extra["X-CSRFToken"] = kiosk_csrf(client)
    elif who in ("operator", "admin"):
        extra["X-CSRFToken"] = csrf_token(client, "/operator")
    extra["Idempotency-Key"] = uuid.uuid4().hex
    return client.post(
        f"/api/v1/commitments/{DEMO}/signatures",
        data=json.dumps(_walk_in(f"Penanda {who.title()}")),
        content_type="application/json",
        headers=extra,
    )


def link_token(signed: dict[str, Any]) -> str:
    """The capability token ``t`` of a signing answer's certificate link."""
    return str(parse_qs(urlsplit(signed["certificate_url"]).query)["t"][0])


def requests_for(world: World) -> dict[str, Callable[[str, FlaskClient, dict[str, str]], TestResponse]]:
    own, other = world.kiosk_record, world.other
    token = link_token(other)

    def get(path: str) -> Callable[[str, FlaskClient, dict[str, str]], TestResponse]:
        return lambda _who, client, headers: client.get(path, headers=headers)

    return {
        "`GET /api/v1/signatures/<id>/certificate.pdf` without `t`": get(
            f"/api/v1/signatures/{other['id']}/certificate.pdf"
        ),
        "`GET /api/v1/signatures/<id>/certificate.pdf?t=<link token>`": get(
            f"/api/v1/signatures/{other['id']}/certificate.pdf?t={token}"
        ),
        "`GET /kiosk/qr/<id>.svg`, a record this tablet made in the last 2 minutes": get(
            f"/kiosk/qr/{own['id']}.svg"
        ),
        "`GET /kiosk/qr/<id>.svg`, any other record": get(f"/kiosk/qr/{other['id']}.svg"),
        "`GET /kiosk/invitees?q=…` (invitees of the tablet's commitment)": get("/kiosk/invitees?q=ratna"),
        "`GET /kiosk/roster` (the tablet's roster for offline search)": get("/kiosk/roster"),
        "`POST /api/v1/commitments/<slug>/signatures` (sign)": lambda who, client, headers: _sign_as(
            world, who, client, headers
        ),
        "`GET /admin/commitments/<slug>/v<n>/roll.pdf` (signed roll)": get(
            f"/admin/commitments/{DEMO}/v1/roll.pdf"
        ),
        "`GET /admin/commitments/<slug>/certificates` (ZIP page)": get(
            f"/admin/commitments/{DEMO}/certificates"
        ),
        "`GET /admin/commitments/<slug>/certificates.zip`": get(
            f"/admin/commitments/{DEMO}/certificates.zip"
        ),
        "`GET /admin/commitments/<slug>/versions/<n>/progress`": get(
            f"/admin/commitments/{DEMO}/versions/1/progress"
        ),
        "`GET /admin/commitments/<slug>/versions/<n>/signatories.csv` (signatories as CSV)": get(
            f"/admin/commitments/{DEMO}/versions/1/signatories.csv"
        ),
        "`GET /operator/commitments/<slug>/versions/<n>/progress` (desk: read-only progress)": get(
            f"/operator/commitments/{DEMO}/versions/1/progress"
        ),
        "`GET /operator/signatures/<id>/certificate.pdf` (desk: reprint, logged)": get(
            f"/operator/signatures/{other['id']}/certificate.pdf"
        ),
        "`GET /admin/commitments/<slug>` (invitee list)": get(f"/admin/commitments/{DEMO}"),
        "`GET /admin/signatures/<id>` (one signature, withdrawal and erasure forms)": get(
            f"/admin/signatures/{other['id']}"
        ),
        "`GET /admin/commitments/<slug>/retention` (retention period)": get(
            f"/admin/commitments/{DEMO}/retention"
        ),
        "`GET /v/<code>` (verify page, allow-listed fields)": get(f"/v/{other['code']}"),
        "`GET /api/v1/verify/<code>` (same, JSON)": get(f"/api/v1/verify/{other['code']}"),
        "`GET /api/v1/signatures/<id>` (by audience; the record for auditors and admins)": get(
            f"/api/v1/signatures/{other['id']}"
        ),
        "`GET /c/<slug>` (public list: consenting signatories)": get(f"/c/{DEMO}"),
        "`GET /c/<slug>/layar` (live screen: consenting signatories)": get(f"/c/{DEMO}/layar"),
    }


@pytest.mark.parametrize("who", PRINCIPALS)
def test_each_principal_gets_what_the_matrix_says(app: Flask, who: str) -> None:
    world = build_world(app)
    client, headers = principal(world, who)
    column = PRINCIPALS.index(who)
    requests = requests_for(world)
    assert set(requests) == set(MATRIX), "every row of the matrix has a request"
    wrong = []
    for route, expected in MATRIX.items():
        response = requests[route](who, client, headers)
        want = expected[column]
        if response.status_code != want:
            wrong.append(f"{route}: {response.status_code}, the matrix says {want}")
        elif want == 302:
            assert "/login" in response.headers["Location"], route
    assert not wrong, f"{who}:\n" + "\n".join(wrong)


def readme_matrix() -> tuple[list[str], dict[str, tuple[int, ...]]]:
    """The README's table: its column headings and, per route, the status code each cell names."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, "the README has no 'Who may see what' section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert len(rows) > 2, "the section has no table"

    def cells(line: str) -> list[str]:
        return [c.strip() for c in line.strip().strip("|").split("|")]

    heading = cells(rows[0])
    table = {}
    for line in rows[2:]:
        route, *rest = cells(line)
        codes = []
        for cell in rest:
            found = re.search(r"\b([1-5]\d\d)\b", cell)
            assert found, f"README cell {cell!r} of {route} names no status code"
            codes.append(int(found.group(1)))
        table[route] = tuple(codes)
    return heading[1:], table


def test_readme_table_says_what_is_enforced() -> None:
    heading, table = readme_matrix()
    assert [h.lower() for h in heading] == list(PRINCIPALS)
    assert table == MATRIX


# --- the outside tester's findings -------------------------------------------------------------


def test_a_kiosk_gets_no_qr_of_another_tablets_record(app: Flask) -> None:
    # Finding 1: record ids are public (the log lists them), so a QR of any id is a certificate link.
    world = build_world(app)
    second = app.test_client()
    enrol(app, second)
    theirs = kiosk_sign(second, **_walk_in("Tamu Tablet Dua")).get_json()
    assert world.kiosk.get(f"/kiosk/qr/{world.kiosk_record['id']}.svg").status_code == 200
    assert second.get(f"/kiosk/qr/{theirs['id']}.svg").status_code == 200
    # Same commitment, another tablet or a bearer token: not found, exactly as an id that does not exist.
    unknown = world.kiosk.get("/kiosk/qr/01J00000000000000000000000.svg")
    for refused in (
        world.kiosk.get(f"/kiosk/qr/{theirs['id']}.svg"),
        second.get(f"/kiosk/qr/{world.kiosk_record['id']}.svg"),
        world.kiosk.get(f"/kiosk/qr/{world.other['id']}.svg"),
    ):
        assert refused.status_code == 404
        assert refused.data == unknown.data and refused.mimetype == unknown.mimetype


def test_a_kiosk_qr_is_served_only_for_a_short_while(app: Flask) -> None:
    world = build_world(app)
    path = f"/kiosk/qr/{world.kiosk_record['id']}.svg"
    assert world.kiosk.get(path).status_code == 200
    # The window is over (set to nothing rather than waited for): the next signer cannot ask for it.
    app.config["IKRAR_KIOSK_QR_SECONDS"] = 0
    assert world.kiosk.get(path).status_code == 404


def test_a_re_enrolled_tablet_gets_no_qr_of_its_earlier_enrolment(app: Flask) -> None:
    world = build_world(app)
    path = f"/kiosk/qr/{world.kiosk_record['id']}.svg"
    # The operator leaves kiosk mode and enrols the same browser again: a new device credential.
    with world.kiosk.session_transaction() as session:
        session.clear()
    enrol(app, world.kiosk)
    assert world.kiosk.get(path).status_code == 404


def test_an_operator_needs_the_link_like_anyone(app: Flask) -> None:
    # Finding 2: the lowest staff role downloaded every certificate without a token.
    world = build_world(app)
    path, token = f"/api/v1/signatures/{world.other['id']}/certificate.pdf", link_token(world.other)
    operator = app.test_client()
    sign_in(app, operator, "operator")
    refused = operator.get(path)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert "auditor atau admin" in refused.get_json()["detail"]  # not "staff": an operator is staff
    assert operator.get(path, query_string={"t": token}).status_code == 200
    # A bearer token is no staff session either, on this route or any other but signing.
    for bearer in (world.device_token, world.operator_token):
        assert app.test_client().get(path, headers={"Authorization": f"Bearer {bearer}"}).status_code == 403
    with app.app_context():
        assert db.session.get(SignatureRecord, world.other["id"]) is not None
