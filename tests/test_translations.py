"""Bahasa Indonesia by default, English on request, and no interface string left untranslated."""

from __future__ import annotations

import subprocess
import sys

import pytest
from flask.testing import FlaskClient

from tests.conftest import ROOT, csrf_token


@pytest.mark.slow  # starts another process (tests/process_guard.py)
def test_every_source_string_has_an_english_translation_and_the_catalogue_is_compiled() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "i18n.py"), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_indonesian_by_default_and_english_on_request(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="id">' in page and "Kata sandi" in page
    token = csrf_token(client, "/login")
    response = client.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Password" in page and "Kata sandi" not in page
    assert client.post("/lang", data={"lang": "fr", "csrf_token": token}).status_code == 400
