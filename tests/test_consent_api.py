"""The consent text is the contract: GET /api/v1/signatures/<id> shows each audience only its fields.

An outside tester walked /log/entries, fetched every record id anonymously and read the name,
position, institution and verification code of signers who had declined public display. These
tests repeat that walk and search the raw bodies for what was signed (UU 27/2022).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from registry.cli import cli
from registry.core.canonical import canonical_bytes, sha256_hex
from registry.services import accounts, certificates, credentials, signing
from registry.services.audience import FULL_FIELDS, PUBLIC_FIELDS
from registry.services.signing import Signatory
from registry.services.withdrawals import withdraw
from tests.auditor_support import auditor_headers, auditor_token
from tests.conftest import Env, LiveServer, ikrar, sign_in
from tests.factories import DEMO, walk_in

DECLINED_REASON = "Rahasia: alasan penarikan yang tidak boleh tampil untuk umum."
CONSENTED_REASON = "Ditandatangani oleh staf atas nama pejabat yang bersedia tampil."
# ``erasure`` is null unless the signer's personal data were erased (docs/FORMATS.md §3).
PUBLIC_SHAPE = {"id", "log_index", "status", "record_sha256", "withdrawal", "erasure"}


@dataclass
class Signed:
    id: str
    code: str
    name: str
    position: str
    institution: str
    certificate_url: str
    public_display: bool


def _sign(app: Flask, name: str, public_display: bool) -> Signed:
    position, institution = f"Jabatan {name}", f"Instansi {name}"
    with app.app_context():
        request = walk_in(
            name,
            public_display=public_display,
            signatory=Signatory(name=name, position=position, institution=institution, category="pemerintah"),
        )
        row = signing.sign(request, app.extensions["ikrar.signers"]).record
        url = certificates.certificate_url(row)
        return Signed(row.id, row.code, name, position, institution, url, public_display)


def _registry(app: Flask) -> list[Signed]:
    """Three signers who declined public display (one withdrawn) and two who allowed it (one withdrawn)."""
    signed = [_sign(app, f"Rahasia Zulkarnain {i}", False) for i in range(3)]
    signed += [_sign(app, f"Terbuka Kartika {i}", True) for i in range(2)]
    with app.app_context():
        withdraw(signed[0].id, DECLINED_REASON, "admin-1")
        withdraw(signed[3].id, CONSENTED_REASON, "admin-1")
    return signed


def _walk(client: FlaskClient, **kwargs: object) -> tuple[list[bytes], dict[str, dict[str, object]]]:
    """What anyone can fetch: every log entry, then every signature document the log names."""
    bodies, documents = [], {}
    log = client.get("/log/entries")  # the test log is shorter than one page
    assert log.status_code == 200
    bodies.append(log.data)
    for line in log.data.splitlines():
        entry = json.loads(line)
        if entry["type"] == "signature:create":
            response = client.get(f"/api/v1/signatures/{entry['payload']['record_id']}", **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 200
            bodies.append(response.data)
            documents[entry["payload"]["record_id"]] = response.get_json()
    return bodies, documents


def _secrets_of(signer: Signed) -> list[str]:
    token = signer.certificate_url.split("?t=", 1)[1]
    return [signer.name, signer.position, signer.institution, signer.code, token, "certificate.pdf"]


def _assert_public_shape(documents: dict[str, dict[str, object]], signed: list[Signed]) -> None:
    for signer in signed:
        document = documents[signer.id]
        expected = PUBLIC_SHAPE | ({"public"} if signer.public_display else set())
        assert set(document) == expected, document
        assert document["status"] in ("valid", "withdrawn")


def test_an_anonymous_walk_reveals_nothing_of_signers_who_declined(app: Flask, client: FlaskClient) -> None:
    signed = _registry(app)
    bodies, documents = _walk(client)
    assert len(documents) == len(signed)
    raw = b"\n".join(bodies).decode("utf-8")
    for signer in signed:
        if not signer.public_display:
            for secret in _secrets_of(signer):
                assert secret not in raw, f"{secret!r} of a signer who declined is served anonymously"
        else:
            # Even with consent the code (the signer's capability) and the certificate link stay private.
            assert signer.code not in raw and signer.certificate_url.split("?t=", 1)[1] not in raw
    assert DECLINED_REASON not in raw
    documents_raw = b"\n".join(bodies[1:]).decode("utf-8")
    for word in ('"record"', '"signature"', '"code"', '"category"', '"dimensions"', '"device"', '"operator"'):
        assert word not in documents_raw, f"{word} is served anonymously"
    _assert_public_shape(documents, signed)
    declined = documents[signed[0].id]
    assert declined["status"] == "withdrawn"
    assert set(declined["withdrawal"]) == {"at", "log_index"}  # type: ignore[arg-type]


def test_a_consenting_signer_shows_what_the_consent_text_lists(app: Flask, client: FlaskClient) -> None:
    signed = _registry(app)
    auditor = auditor_headers(app)
    for signer in signed[3:]:
        document = client.get(f"/api/v1/signatures/{signer.id}").get_json()
        full = client.get(f"/api/v1/signatures/{signer.id}", headers=auditor).get_json()
        public = document["public"]
        assert set(public) == set(PUBLIC_FIELDS)
        assert (public["name"], public["position"], public["institution"]) == (
            signer.name,
            signer.position,
            signer.institution,
        )
        assert public["signed_at"] == full["record"]["signed_at"] and public["kid"] == full["kid"]
        assert public["commitment"]["id"] == DEMO and public["commitment"]["version"] == 1
        assert (
            document["record_sha256"] == full["record_sha256"] == sha256_hex(canonical_bytes(full["record"]))
        )
    withdrawn = client.get(f"/api/v1/signatures/{signed[3].id}").get_json()
    assert withdrawn["withdrawal"]["reason"] == CONSENTED_REASON
    with app.app_context():
        from registry.services import commitments

        title = commitments.get_version(DEMO, 1, published_only=True).title
    assert withdrawn["public"]["commitment"]["title"] == title


def test_an_auditor_token_gets_every_field(app: Flask, client: FlaskClient) -> None:
    signed = _registry(app)
    for role in ("auditor", "admin"):
        headers = {"Authorization": f"Bearer {auditor_token(app, role)}"}
        _bodies, documents = _walk(client, headers=headers)
        for signer in signed:
            document = documents[signer.id]
            assert set(document) == set(FULL_FIELDS)
            assert document["code"] == signer.code
            assert document["record"]["signatory"]["name"] == signer.name
            assert document["record_sha256"] == sha256_hex(canonical_bytes(document["record"]))
        assert documents[signed[0].id]["withdrawal"]["reason"] == DECLINED_REASON


def test_sessions_by_role(app: Flask) -> None:
    signer = _registry(app)[1]
    for role, full in (("auditor", True), ("admin", True), ("operator", False)):
        client = app.test_client()
        sign_in(app, client, role)
        document = client.get(f"/api/v1/signatures/{signer.id}").get_json()
        assert ("record" in document) is full, role
        if not full:
            assert set(document) == PUBLIC_SHAPE and signer.name not in json.dumps(document)


def test_device_and_operator_tokens_read_as_the_public(app: Flask, client: FlaskClient) -> None:
    signer = _registry(app)[1]
    with app.app_context():
        operator = accounts.create_user("op-consent", "Op", "operator", "correct horse battery staple")
        admin = accounts.create_user("adm-consent", "Adm", "admin", "correct horse battery staple")
        tokens = [
            credentials.issue("device", "tablet", commitment=DEMO).token,
            credentials.issue("operator", "script", user=operator).token,
            credentials.issue("operator", "script", user=admin).token,  # an admin's signing token
        ]
    for token in tokens:
        response = client.get(f"/api/v1/signatures/{signer.id}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert set(response.get_json()) == PUBLIC_SHAPE
        assert signer.name.encode() not in response.data and signer.code.encode() not in response.data


def test_a_revoked_disabled_or_unknown_auditor_token_is_refused(app: Flask, client: FlaskClient) -> None:
    signer = _registry(app)[1]
    path = f"/api/v1/signatures/{signer.id}"
    with app.app_context():
        user = accounts.create_user("aud-consent", "Aud", "auditor", "correct horse battery staple")
        revoked = credentials.issue("auditor", "old", user=user)
        credentials.revoke(revoked.credential.id)
        live = credentials.issue("auditor", "live", user=user).token
    assert "record" in client.get(path, headers={"Authorization": f"Bearer {live}"}).get_json()
    for token in (revoked.token, live[:-4] + "AAAA", "ikr_aud_aaaaaaaaaaaaaaaa_" + "A" * 43, "nonsense"):
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and signer.name.encode() not in response.data
    with app.app_context():
        accounts.set_active("aud-consent", False)
    response = client.get(path, headers={"Authorization": f"Bearer {live}"})
    assert response.status_code == 401 and b"disabled" in response.data


def test_an_auditor_token_cannot_sign(app: Flask, client: FlaskClient) -> None:
    token = auditor_token(app)
    response = client.post(
        f"/api/v1/commitments/{DEMO}/signatures",
        json={"signatory": {"name": "X", "position": "Y", "institution": "Z", "category": "pemerintah"}},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "auditor-sign-1"},
    )
    assert response.status_code == 403
    assert "auditor" in response.get_json()["detail"]


def test_an_auditor_token_belongs_to_an_auditor_or_admin(app: Flask, env: Env) -> None:
    with app.app_context():
        accounts.create_user("op-notaud", "Op", "operator", "correct horse battery staple")
        accounts.create_user("aud-cli", "Aud", "auditor", "correct horse battery staple")
    refused = ikrar(env, "tokens", "create", "--auditor", "op-notaud")
    assert refused.returncode != 0 and "auditor or admin" in refused.stderr
    both = ikrar(env, "tokens", "create", "--auditor", "aud-cli", "--operator", "op-notaud")
    assert both.returncode != 0 and "exactly one" in both.stderr
    issued = ikrar(env, "tokens", "create", "--auditor", "aud-cli", "--label", "audit 2026")
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.splitlines()[-1].startswith("ikr_aud_")
    listed = ikrar(env, "tokens", "list")
    assert "auditor" in listed.stdout and "aud-cli" in listed.stdout


def test_ikrar_audit_without_and_with_an_auditor_token(
    app: Flask, env: Env, live_server: LiveServer, tmp_path: Path
) -> None:
    _registry(app)
    runner = CliRunner()
    without = runner.invoke(cli, ["audit", "--url", live_server.url], catch_exceptions=False, env={})
    assert without.exit_code == 0, without.output
    assert "5 record seals not checked: no auditor token" in without.output
    assert "2 withdrawals match their log entries" in without.output
    token_file = tmp_path / "token"
    token_file.write_text(auditor_token(app) + "\n", encoding="utf-8")
    with_token = runner.invoke(
        cli, ["audit", "--url", live_server.url, "--token-file", str(token_file)], catch_exceptions=False
    )
    assert with_token.exit_code == 0, with_token.output
    assert "5 signed records verified against the JWKS" in with_token.output
    assert "not checked" not in with_token.output
    by_env = runner.invoke(
        cli,
        ["audit", "--url", live_server.url],
        catch_exceptions=False,
        env={"IKRAR_AUDIT_TOKEN": token_file.read_text(encoding="utf-8").strip()},
    )
    assert by_env.exit_code == 0 and "5 signed records verified" in by_env.output


def test_the_database_still_refuses_unknown_kinds_and_unlocked_devices(app: Flask) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    from registry.extensions import db
    from registry.models import Credential

    with app.app_context():
        for kind in ("device", "reader"):
            db.session.add(Credential(id=f"x_{kind}", kind=kind, label="x", secret_sha256="0" * 64))
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()


def test_ikrar_audit_without_a_token_still_finds_an_altered_record(
    app: Flask, env: Env, live_server: LiveServer
) -> None:
    from sqlalchemy import create_engine, text

    signed = _registry(app)
    engine = create_engine(env.database_url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # past the append-only triggers, as an intruder would
            conn.execute(text("SET session_replication_role = replica"))
        body = conn.execute(
            text("SELECT body FROM signature_record WHERE id = :id"), {"id": signed[1].id}
        ).scalar_one()
        forged = bytes(body).replace(signed[1].name.encode(), b"Nama Palsu Sekali Ini")
        conn.execute(
            text("UPDATE signature_record SET body = :body WHERE id = :id"),
            {"body": forged, "id": signed[1].id},
        )
    engine.dispose()
    result = CliRunner().invoke(cli, ["audit", "--url", live_server.url], catch_exceptions=False, env={})
    assert result.exit_code == 1, result.output
    assert "FAILED (record)" in result.output and signed[1].id in result.output


def test_the_signers_code_is_their_capability_to_their_full_record(app: Flask, client: FlaskClient) -> None:
    """The code printed on the certificate (whose PDF embeds the same record) opens the full
    document; any other code, or none, gets the public view. `ikrar verify --code` relies on it."""
    signer = _sign(app, "Rahasia Pemegang Kode", False)
    printed = f"{signer.code[:4]}-{signer.code[4:8]}-{signer.code[8:]}".lower()
    full = client.get(f"/api/v1/signatures/{signer.id}?code={printed}").get_json()
    assert set(full) == set(FULL_FIELDS) and full["record"]["signatory"]["name"] == signer.name
    other = _sign(app, "Rahasia Orang Lain", False)
    for code in (other.code, "0000000000", "x" * 65, ""):
        answer = client.get(f"/api/v1/signatures/{signer.id}", query_string={"code": code})
        assert answer.status_code == 200 and set(answer.get_json()) == PUBLIC_SHAPE, code
        assert signer.name not in answer.get_data(as_text=True)


def test_ikrar_verify_by_code_checks_the_seal_with_the_signers_capability(
    app: Flask, env: Env, live_server: LiveServer
) -> None:
    signer = _sign(app, "Rahasia Verifikasi Kode", False)
    done = ikrar(env, "verify", "--code", signer.code, "--url", live_server.url)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
