"""Public verification: the QR end to end, the verify page, its JSON, upload, `ikrar verify`, withdrawal."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient

from registry.core import qr
from registry.core.errors import VerificationError
from registry.core.keys import KeyRing, Signer
from registry.core.records import sign_record
from registry.pdf.certificate import CertificateData, render_certificate
from registry.services import certificates, credentials, signing, withdrawals
from tests.conftest import Env, LiveServer, csrf_token, ikrar
from tests.factories import DEMO, scribble, walk_in

CORPUS = ["PT <Maju> & Jaya", "Dédé Ñoño Çağrı Łódź", "Nur’aini Muẓaffar"]


def fetch(url: str) -> tuple[int, bytes, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def sign_over_http(server: LiveServer, token: str, name: str) -> dict[str, Any]:
    body = {
        "signatory": {
            "name": name,
            "position": "Kepala Seksi",
            "institution": "Dinas Uji",
            "category": "pemerintah",
        },
        "dimensions": ["smart-governance"],
        "consent": {"accepted": True, "public_display": True},
        "strokes": scribble(5),
    }
    request = urllib.request.Request(
        f"{server.url}/api/v1/commitments/{DEMO}/signatures",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        document: dict[str, Any] = json.loads(response.read())
    return document


def decode_qr(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    found = [
        b.text for b in zxingcpp.read_barcodes(image) if b.valid and b.format == zxingcpp.BarcodeFormat.QRCode
    ]
    assert len(found) == 1
    return found[0]


def verdict_of(html: str) -> str:
    match = re.search(r'id="verdict" data-status="([a-z_]+)"', html)
    assert match, html[:500]
    return match.group(1)


def test_end_to_end_qr_to_valid_page_and_offline_check(app: Flask, env: Env, live_server: LiveServer) -> None:
    with app.app_context():
        token = credentials.issue("device", "t", commitment=DEMO).token
    signed = sign_over_http(live_server, token, "PT <Maju> & Jaya")
    assert signed["certificate_url"].startswith(
        f"{live_server.url}/api/v1/signatures/{signed['id']}/certificate.pdf?t="
    )
    assert fetch(signed["certificate_url"].split("?")[0])[0] == 403  # the id alone does not open it
    status, pdf, headers = fetch(signed["certificate_url"])
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    url = decode_qr(pdf)
    assert url.startswith(signed["verify_url"] + "#")

    status, page, headers = fetch(url)  # urllib, like a browser, never sends the fragment
    html = page.decode()
    assert status == 200 and verdict_of(html) == "valid"
    assert "PT &lt;Maju&gt; &amp; Jaya" in html and headers["X-Robots-Tag"].startswith("noindex")

    # Offline: the fragment verifies against the JWKS alone; one altered character does not.
    _, jwks, _ = fetch(f"{live_server.url}/.well-known/jwks.json")
    ring = KeyRing.from_jwks(json.loads(jwks))
    statement = qr.verify_url(url, ring)
    assert statement.fields["n"] == "PT <Maju> & Jaya" and statement.fields["code"] == signed["code"]
    prefix, fragment = url.split("#")
    middle = len(fragment) // 3
    altered = fragment[:middle] + ("A" if fragment[middle] != "A" else "B") + fragment[middle + 1 :]
    with pytest.raises(VerificationError):
        qr.verify_url(prefix + "#" + altered, ring)

    # The CLI agrees, with the JWKS pinned in a file and no database or network.
    pinned = env.instance / "jwks.json"
    pinned.write_bytes(jwks)
    offline = {"IKRAR_DATABASE_URL": "sqlite:////nonexistent/none.sqlite3"}
    result = ikrar_offline(env, offline, "verify", "--qr", url, "--jwks", str(pinned))
    assert result.returncode == 0, result.stdout + result.stderr
    result = ikrar_offline(env, offline, "verify", "--qr", prefix + "#" + altered, "--jwks", str(pinned))
    assert result.returncode == 4, result.stdout + result.stderr
    # And by code against the running registry.
    result = ikrar(env, "verify", "--code", signed["code"].lower(), "--url", live_server.url)
    assert result.returncode == 0, result.stdout + result.stderr


def ikrar_offline(env: Env, overrides: dict[str, str], *args: str) -> Any:
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "registry", *args],
        env=env.variables | overrides,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env.instance,
        check=False,
    )


def test_verify_page_fields_noindex_size_and_no_external_resources(ctx: Flask, client: FlaskClient) -> None:
    row = signing.sign(walk_in("Ayu Lestari"), ctx.extensions["ikrar.signers"]).record
    grouped = f"{row.code[:4]}-{row.code[4:8]}-{row.code[8:]}".lower()
    response = client.get(f"/v/{grouped}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and verdict_of(html) == "valid"
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex, nofollow">' in html
    for text in ("Ayu Lestari", "Kepala Bidang", "Dinas Uji Coba", "WIB", row.kid, str(row.log_index)):
        assert text in html
    assert f'href="/c/{DEMO}/v1"' in html  # the readable page of the signed version
    assert 'src="data:image/svg+xml;base64,' in html  # public_display: the signature is shown
    assert "operator-test" not in html and "device-test" not in html  # allow-list only
    assert "style=" not in html and "<script>" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    first_load = len(response.data)
    for path in ("/static/base.css", "/static/verify.css", "/static/verify.js"):
        with client.get(path) as asset:
            assert asset.status_code == 200
            first_load += len(asset.data)
    assert first_load < 200 * 1024

    hidden = signing.sign(
        walk_in("Tanpa Tampil", public_display=False), ctx.extensions["ikrar.signers"]
    ).record
    html = client.get(f"/v/{hidden.code}").get_data(as_text=True)
    assert verdict_of(html) == "valid" and "data:image/svg+xml" not in html

    unknown = client.get("/v/0000-0000-000")
    assert unknown.status_code == 404 and verdict_of(unknown.get_data(as_text=True)) == "unknown"
    assert client.get("/v/not-a-code").status_code == 404


def test_verify_json(ctx: Flask, client: FlaskClient) -> None:
    row = signing.sign(walk_in("Ayu Lestari"), ctx.extensions["ikrar.signers"]).record
    document = client.get(f"/api/v1/verify/{row.code.lower()}").get_json()
    assert document["status"] == "valid" and document["code"] == row.code
    assert document["name"] == "Ayu Lestari" and document["withdrawal"] is None
    assert set(document) == {
        "status", "code", "id", "commitment", "name", "position", "institution", "signed_at", "kid",
        "log_index", "record_sha256", "public_display", "withdrawal",
    }  # fmt: skip
    missing = client.get("/api/v1/verify/0000-0000-000")
    assert missing.status_code == 404 and missing.get_json()["status"] == "unknown"


def test_withdrawn_on_page_json_and_cli(app: Flask, env: Env) -> None:
    with app.app_context():
        row = signing.sign(walk_in("Keliru Tanda"), app.extensions["ikrar.signers"]).record
        pdf_before = certificates.certificate_pdf(row)
        jwks = app.test_client().get("/.well-known/jwks.json").data
        withdrawals.withdraw(row.id, "Ditandatangani oleh orang yang salah", "admin-test")
        code = row.code
    client = app.test_client()
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert verdict_of(html) == "withdrawn"
    assert "Ditandatangani oleh orang yang salah" in html and "WIB" in html
    status = client.get(f"/api/v1/verify/{code}")
    document = status.get_json()
    assert document["status"] == "withdrawn"
    assert document["withdrawal"]["reason"] == "Ditandatangani oleh orang yang salah"

    pdf_path, jwks_path, status_path = (env.instance / n for n in ("c.pdf", "jwks.json", "status.json"))
    pdf_path.write_bytes(pdf_before)
    jwks_path.write_bytes(jwks)
    status_path.write_bytes(status.data)
    result = ikrar(env, "verify", str(pdf_path), "--jwks", str(jwks_path))
    assert result.returncode == 0, result.stdout + result.stderr  # offline without status: seal is valid
    result = ikrar(env, "verify", str(pdf_path), "--jwks", str(jwks_path), "--status", str(status_path))
    assert result.returncode == 3 and "WITHDRAWN" in result.stdout, result.stdout + result.stderr
    url = certificates_url(app, code)
    result = ikrar(env, "verify", "--qr", url, "--jwks", str(jwks_path), "--status", str(status_path))
    assert result.returncode == 3, result.stdout + result.stderr


def certificates_url(app: Flask, code: str) -> str:
    from registry.services import verification

    with app.app_context():
        row = verification.find(code)
        assert row is not None
        return certificates.qr_url_for(row)[0]


def test_cli_rejects_one_altered_byte_in_the_embedded_record(app: Flask, env: Env) -> None:
    with app.app_context():
        row = signing.sign(walk_in("Ayu Lestari"), app.extensions["ikrar.signers"]).record
        pdf = certificates.certificate_pdf(row)
        body = bytes(row.body)
        jwks = app.test_client().get("/.well-known/jwks.json").data
    (env.instance / "jwks.json").write_bytes(jwks)
    genuine = env.instance / "genuine.pdf"
    genuine.write_bytes(pdf)
    assert ikrar(env, "verify", str(genuine), "--jwks", str(env.instance / "jwks.json")).returncode == 0
    assert pdf.count(body) == 1
    start = pdf.index(body)
    for offset, replacement in ((body.index(b"Ayu") + 1, b"x"), (body.index(b'"signed_at"') + 20, b"9")):
        altered = bytearray(pdf)
        altered[start + offset] = replacement[0] if altered[start + offset] != replacement[0] else ord("z")
        target = env.instance / f"altered-{offset}.pdf"
        target.write_bytes(bytes(altered))
        result = ikrar(env, "verify", str(target), "--jwks", str(env.instance / "jwks.json"))
        assert result.returncode == 4, result.stdout + result.stderr
        assert "INVALID" in result.stdout
    # A key ring without the registry's key: unknown (5). Without --jwks: the local registry's ring.
    (env.instance / "other.json").write_text(json.dumps({"keys": []}))
    assert ikrar(env, "verify", str(genuine), "--jwks", str(env.instance / "other.json")).returncode == 5
    assert ikrar(env, "verify", str(genuine)).returncode == 0
    assert ikrar(env, "verify").returncode == 2


def upload(client: FlaskClient, data: bytes, name: str = "c.pdf") -> Any:
    import io

    token = csrf_token(client, "/verify/upload")
    return client.post(
        "/verify/upload",
        data={"csrf_token": token, "certificate": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_verify_by_upload(ctx: Flask) -> None:
    client = ctx.test_client()
    row = signing.sign(walk_in("Ayu Lestari"), ctx.extensions["ikrar.signers"]).record
    pdf = certificates.certificate_pdf(row)
    page = upload(client, pdf)
    assert page.status_code == 200 and verdict_of(page.get_data(as_text=True)) == "valid"

    altered = pdf.replace(b'"name":"Ayu Lestari"', b'"name":"Ayu Lestara"', 1)
    assert altered != pdf
    html = upload(client, altered).get_data(as_text=True)
    assert verdict_of(html) == "altered"
    assert "<li><code>signatory.name</code></li>" in html

    foreign = Signer.generate()
    data = certificates.certificate_data(row)
    record = dict(data.record, kid=foreign.kid)
    fake = render_certificate(
        CertificateData(
            **(vars(data) | {"record": record, "signature": sign_record(record, foreign).signature})
        )
    )
    assert verdict_of(upload(client, fake).get_data(as_text=True)) == "not_ours"

    withdrawals.withdraw(row.id, "Ditandatangani oleh orang yang salah", "admin-test")
    html = upload(client, pdf).get_data(as_text=True)
    assert verdict_of(html) == "withdrawn" and "orang yang salah" in html

    assert upload(client, b"hello, not a pdf").status_code == 400
    ctx.config["IKRAR_UPLOAD_MAX_BYTES"] = 100 * 1024
    too_big = upload(client, b"%PDF-" + b"0" * (150 * 1024))
    assert too_big.status_code == 400 and "100 KB" in too_big.get_data(as_text=True)
    no_token = client.post("/verify/upload", data={}, content_type="multipart/form-data")
    assert no_token.status_code == 400


def test_rate_limit_answers_429_with_retry_after(ctx: Flask, client: FlaskClient) -> None:
    ctx.config["IKRAR_VERIFY_LIMIT"] = "3 per minute"
    statuses = [client.get("/v/0000-0000-000").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    page = client.get("/v/0000-0000-000")
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    limited = client.get("/api/v1/verify/0000-0000-000")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_qr_points_at_the_verify_page(ctx: Flask) -> None:
    row = signing.sign(walk_in("Ayu Lestari"), ctx.extensions["ikrar.signers"]).record
    url = decode_qr(certificates.certificate_pdf(row))
    assert url == certificates.qr_url_for(row)[0]
    assert url.split("#")[0] == f"{ctx.config['IKRAR_BASE_URL']}/v/{row.code}"


def test_a_row_edited_behind_the_registrys_back_is_shown_invalid(app: Flask) -> None:
    from sqlalchemy import update

    from registry.core.strokes import canonicalise, strokes_bytes
    from registry.extensions import db
    from registry.models import SignatureRecord

    with app.app_context():
        row = signing.sign(walk_in("Asli Namanya"), app.extensions["ikrar.signers"]).record
        first, second = (
            row.code,
            signing.sign(walk_in("Goresan Asli"), app.extensions["ikrar.signers"]).record.code,
        )
        db.session.execute(
            update(SignatureRecord).where(SignatureRecord.code == first).values(name="Nama Palsu")
        )
        body = bytes(row.body).replace(b"Asli Namanya", b"Nama Palsuu!")
        db.session.execute(update(SignatureRecord).where(SignatureRecord.code == first).values(body=body))
        other = strokes_bytes(canonicalise(scribble(99)))
        db.session.execute(
            update(SignatureRecord).where(SignatureRecord.code == second).values(strokes=other)
        )
        db.session.commit()
    client = app.test_client()
    for code in (first, second):
        document = client.get(f"/api/v1/verify/{code}").get_json()
        assert document == {"status": "invalid", "code": code}
        page = client.get(f"/v/{code}").get_data(as_text=True)
        assert "Tidak sah" in page and "Palsu" not in page
