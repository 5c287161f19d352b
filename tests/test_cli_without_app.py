"""`ikrar verify` and `ikrar audit` build no application: an auditor's machine needs no registry.

They run in a separate interpreter (the real ``main``) so that what they import is what a user's
run imports, not what this test process has loaded already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from registry.services import certificates, signing
from tests.conftest import Env
from tests.factories import walk_in

BROKEN = {"IKRAR_BASE_URL": "not a url"}  # create_app refuses it

# Runs `ikrar ARGS…` through registry.cli.main, then prints its exit status and the modules of
# interest it loaded, as the last line.
PROBE = """
import json, sys
from registry.cli import main
sys.argv = ["ikrar", *sys.argv[1:]]
try:
    main()
    status = 0
except SystemExit as exc:
    status = exc.code
names = ("flask", "sqlalchemy", "reportlab", "qrcode")
print(json.dumps([status, sorted({m.split(".")[0] for m in sys.modules} & set(names))]))
"""


def _run(env: Env, *args: str) -> tuple[int, set[str], str]:
    """Exit status, the modules of interest loaded, and the output of `ikrar ARGS…` run alone."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env.variables | BROKEN,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=env.instance,
    )
    assert result.stdout, result.stderr
    *output, last = result.stdout.splitlines()
    status, modules = json.loads(last)
    return status, set(modules), "\n".join(output) + result.stderr


@pytest.fixture
def signed(app: Flask, env: Env) -> dict[str, Path | str]:
    """One signature's certificate, QR text, saved status document and the registry's JWKS."""
    with app.app_context():
        row = signing.sign(walk_in("Sri Wahyuni"), app.extensions["ikrar.signers"]).record
        pdf = certificates.certificate_pdf(row)
        qr_url = certificates.qr_url_for(row)[0]
        code = row.code
    client = app.test_client()
    files = {
        "pdf": env.instance / "c.pdf",
        "jwks": env.instance / "jwks.json",
        "status": env.instance / "s.json",
    }
    files["pdf"].write_bytes(pdf)
    files["jwks"].write_bytes(client.get("/.well-known/jwks.json").data)
    files["status"].write_bytes(client.get(f"/api/v1/verify/{code}").data)
    return {**files, "qr": qr_url}


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_a_broken_configuration_stops_the_commands_that_need_the_application(env: Env) -> None:
    # What the tests below rely on: with this value, building the application fails.
    result = subprocess.run(
        [sys.executable, "-m", "registry", "keys", "list"],
        env=env.variables | BROKEN,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=env.instance,
    )
    assert result.returncode == 1 and "IKRAR_BASE_URL" in result.stderr, result.stderr


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_verify_of_a_qr_imports_no_flask(env: Env, signed: dict[str, Path | str]) -> None:
    status, modules, output = _run(
        env,
        "verify",
        "--qr",
        str(signed["qr"]),
        "--jwks",
        str(signed["jwks"]),
        "--status",
        str(signed["status"]),
    )
    assert status == 0 and "SAH / VALID" in output, output
    assert not modules & {"flask", "sqlalchemy"}, modules


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_verify_of_a_pdf_imports_no_flask(env: Env, signed: dict[str, Path | str]) -> None:
    status, modules, output = _run(env, "verify", str(signed["pdf"]), "--jwks", str(signed["jwks"]))
    assert status == 0 and "SAH / VALID" in output, output
    assert not modules & {"flask", "sqlalchemy"}, modules


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_verify_of_a_pdf_imports_no_pdf_writer(env: Env, signed: dict[str, Path | str]) -> None:
    status, modules, output = _run(env, "verify", str(signed["pdf"]), "--jwks", str(signed["jwks"]))
    assert status == 0, output
    assert not modules & {"reportlab", "qrcode"}, modules


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_audit_of_an_export_needs_no_application(app: Flask, env: Env) -> None:
    client = app.test_client()
    with app.app_context():
        for name in ("Ani", "Budi", "Citra"):
            signing.sign(walk_in(name), app.extensions["ikrar.signers"])
    note = client.get("/log/checkpoint").data
    size = int(note.split(b"\n")[1])
    (env.instance / "checkpoint.txt").write_bytes(note)
    (env.instance / "export.jsonl").write_bytes(client.get(f"/log/entries?start=0&end={size}").data)
    key = client.get("/log/key").get_data(as_text=True).strip()
    args = (
        "audit",
        "--file",
        str(env.instance / "export.jsonl"),
        "--checkpoint",
        str(env.instance / "checkpoint.txt"),
    )
    status, modules, output = _run(env, *args, "--key", key)
    assert status == 0 and f"OK: {size} entries verified" in output, output
    assert "flask" not in modules, modules
