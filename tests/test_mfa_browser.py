"""MFA against real servers: enrol in a browser from the QR page, then sign in with a code;
``ikrar demo`` turns MFA off for its run, ``ikrar serve`` warns when it is off."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from registry import config as settings
from registry.services import accounts
from tests.conftest import PASSPHRASE, Env, LiveServer, free_port
from tests.test_mfa import mfa_everywhere  # noqa: F401 - fixture
from tests.test_secrets_at_rest import _variables
from tests.test_sessions import _Http

PASSWORD = "correct horse battery staple"


def test_enrol_and_sign_in_with_a_code_in_the_browser(
    mfa_everywhere: None,  # noqa: F811
    app: Flask,
    live_server: LiveServer,
    browser: Any,
) -> None:
    with app.app_context():
        accounts.create_user("maya", "Maya", "admin", PASSWORD)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login?next=/admin/commitments")
        page.fill("#username", "maya")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/account/mfa")
        assert page.locator("#mfa-qr svg").count() == 1
        totp = pyotp.TOTP(page.locator("#mfa-secret").inner_text().replace(" ", ""))
        step = int(time.time()) // 30
        page.fill("#code", totp.at(step * 30))
        page.click("button[type=submit]")
        assert page.locator("#recovery-codes li").count() == 10
        page.click("#mfa-continue")
        page.wait_for_url("**/admin/commitments")
        page.goto(f"{live_server.url}/admin/commitments")
        assert page.url.endswith("/admin/commitments")

        other = browser.new_context()
        try:
            second = other.new_page()
            second.goto(f"{live_server.url}/login")
            second.fill("#username", "maya")
            second.fill("#password", PASSWORD)
            second.click("button[type=submit]")
            second.wait_for_url("**/login/mfa")
            second.goto(f"{live_server.url}/admin/commitments")
            assert "/login" in second.url  # the password alone opens nothing
            second.goto(f"{live_server.url}/login/mfa")
            second.fill("#code", totp.at((step + 1) * 30))
            second.click("button[type=submit]")
            second.wait_for_url("**/admin/commitments")
        finally:
            other.close()
    finally:
        context.close()


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_demo_turns_mfa_off_for_its_run_and_says_so(tmp_path: Path) -> None:
    """``ikrar demo`` without IKRAR_MFA: its admin signs in with the printed password alone."""
    variables = _variables(tmp_path, IKRAR_KEY_PASSPHRASE=PASSPHRASE)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "demo", "--port", str(port)],
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(base + "/openapi.json", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "ikrar demo did not start"
                time.sleep(0.2)
        rows = (tmp_path / "instance" / "demo-credentials").read_text(encoding="utf-8").splitlines()[1:]
        password = next(line.split(" ")[2] for line in rows if line.startswith("admin "))
        browser = _Http(base, "Mozilla/5.0 (demo)")
        token = browser.csrf("/login")
        status, location, _ = browser.request(
            "POST", "/login", {"username": "admin", "password": password, "csrf_token": token}
        )
        assert status == 303 and "mfa" not in location, (status, location)
        assert browser.request("GET", "/admin/commitments")[0] == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "multi-factor authentication is OFF for this demo" in output, output


def test_serve_warns_when_mfa_is_off(live_server: LiveServer, env: Env) -> None:
    logs = "".join(path.read_text() for path in env.instance.glob("server-*.log"))
    assert "IKRAR_MFA=off" in logs and "use only for a demo" in logs


def test_production_default_requires_mfa_and_refuses_other_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IKRAR_MFA", raising=False)
    assert settings.load(str(tmp_path))["IKRAR_MFA"] == "required"
    monkeypatch.setenv("IKRAR_MFA", "optional")
    with pytest.raises(settings.ConfigError, match="IKRAR_MFA must be"):
        settings.load(str(tmp_path))
