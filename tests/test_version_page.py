"""The readable page of a signed commitment version, and its text byte for byte (issue 14)."""

from __future__ import annotations

import hashlib
import html

from flask import Flask
from flask.testing import FlaskClient

from registry.services import commitments
from tests.factories import DEMO

PAGE = f"/c/{DEMO}/v1"


def test_the_text_download_hashes_to_the_recorded_text_sha256(ctx: Flask, client: FlaskClient) -> None:
    version = commitments.get_version(DEMO, 1, published_only=True)
    document = client.get(f"/api/v1/commitments/{DEMO}?version=1").get_json()
    response = client.get(f"{PAGE}/text.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.mimetype_params == {"charset": "utf-8"}
    # What a citizen's `sha256sum` computes equals what every signature of the version binds.
    assert hashlib.sha256(response.data).hexdigest() == version.text_sha256 == document["text_sha256"]
    assert response.data.decode("utf-8") == document["text"]


def test_the_version_page_shows_what_was_signed(ctx: Flask, client: FlaskClient) -> None:
    version = commitments.get_version(DEMO, 1, published_only=True)
    response = client.get(PAGE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.escape(version.title) in page and html.escape(version.place) in page
    assert html.escape(version.text.splitlines()[0]) in page
    # The date in words (Indonesian long form), never ISO.
    assert '<dd id="date">Kamis, 12 September 2024</dd>' in page and "2024-09-12" not in page
    for dimension in version.dimensions:
        assert html.escape(dimension["label"]) in page
    assert f'<code class="hex" id="text-sha256">{version.text_sha256}</code>' in page
    assert f'href="{PAGE}/text.txt"' in page and "sha256sum" in page
    assert f'href="/c/{DEMO}"' in page


def test_the_public_list_links_the_version_page(client: FlaskClient) -> None:
    page = client.get(f"/c/{DEMO}").get_data(as_text=True)
    assert f'href="{PAGE}" id="version-link"' in page
    assert "Kamis, 12 September 2024" in page


def test_unknown_or_draft_versions_are_404_pages(ctx: Flask, client: FlaskClient) -> None:
    for path in (f"/c/{DEMO}/v2", f"/c/{DEMO}/v2/text.txt", "/c/nothing-here/v1", f"/c/{DEMO}/v0"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html", path
    assert client.get(f"/c/{DEMO}/v99999999999").status_code == 404  # beyond a row's range
