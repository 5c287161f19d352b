"""/audit for auditors (issue 14): the Merkle root in hex and base64, the tools to download, WIB times."""

from __future__ import annotations

import base64
import re

from flask import Flask
from flask.testing import FlaskClient

from registry.services import signing
from tests.conftest import ROOT, Env, ikrar
from tests.factories import walk_in


def test_the_root_in_hex_is_the_cli_s_and_in_base64_the_checkpoint_s(
    app: Flask, env: Env, client: FlaskClient
) -> None:
    with app.app_context():
        signing.sign(walk_in("Ayu Lestari"), app.extensions["ikrar.signers"])
    page = client.get("/audit").get_data(as_text=True)
    hex_root = re.search(r'<code class="hex" id="root-hex">([0-9a-f]{64})</code>', page)
    b64_root = re.search(r'<code class="hex" id="root-base64">([A-Za-z0-9+/=]{44})</code>', page)
    assert hex_root and b64_root
    assert base64.b64decode(b64_root[1]).hex() == hex_root[1]
    note = client.get("/log/checkpoint").get_data(as_text=True)
    assert note.splitlines()[2] == b64_root[1]  # origin, size, root: the note carries base64
    verified = ikrar(env, "log", "verify")
    assert verified.returncode == 0 and f"root {hex_root[1]}" in verified.stdout  # the CLI prints hex


def test_the_tools_download_byte_for_byte(client: FlaskClient) -> None:
    page = client.get("/audit").get_data(as_text=True)
    assert 'href="/audit/verify_log.py"' in page and 'href="/audit/FORMATS.md"' in page
    for path, source, kind in (
        ("/audit/verify_log.py", ROOT / "tools" / "verify_log.py", "text/x-python"),
        ("/audit/FORMATS.md", ROOT / "docs" / "FORMATS.md", "text/markdown"),
    ):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == kind
        assert response.data == source.read_bytes()
        assert response.headers["Content-Disposition"].startswith("attachment;")
        response.close()
