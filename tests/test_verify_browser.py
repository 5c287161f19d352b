"""The verify page in headless Chromium on a phone (390×844, touch): ONE verdict at the top.

The page combines the registry's status with the on-device WebCrypto check of the QR statement
(docs/FORMATS.md §9): a QR whose fragment does not verify, or whose fields disagree with the
registry, is red at the top of the first viewport, never green anywhere.

Set IKRAR_SCREENSHOT_DIR (e.g. docs/screenshots) to also save verify-phone.png,
verify-phone-tampered.png and verify-upload.png.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask

from registry.core.canonical import b64url_decode, b64url_encode, canonical_bytes
from registry.services import certificates, credentials, signing, withdrawals
from tests.conftest import LiveServer
from tests.factories import DEMO, walk_in
from tests.test_verify import decode_qr, fetch, sign_over_http

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("IKRAR_SCREENSHOT_DIR")
FINAL = "#verdict[data-verdict]:not([data-verdict=pending])"
# What the verdict box may say for each state (Bahasa Indonesia, the default language).
HEADLINES = {
    "valid-checked": "Sah",
    "valid": "Sah",
    "mismatch": "QR tidak cocok dengan registri",
    "withdrawn": "Ditarik",
    "unknown": "Tidak dikenal",
}
OK_GREEN = "rgb(29, 107, 58)"  # --ok in base.css


def statement_url(app: Flask, server: LiveServer, name: str) -> tuple[str, str]:
    """(the page address with the QR statement, the record id) of a fresh signature."""
    with app.app_context():
        row = signing.sign(walk_in(name), app.extensions["ikrar.signers"]).record
        url, signed = certificates.qr_url_for(row)
        assert signed
        record_id = row.id
    return server.url + "/v/" + url.split("/v/", 1)[1], record_id


def qr_from_certificate(app: Flask, server: LiveServer, name: str) -> str:
    """Sign over HTTP, fetch the certificate PDF from the live server, decode its printed QR code."""
    with app.app_context():
        token = credentials.issue("device", "t", commitment=DEMO).token
    signed = sign_over_http(server, token, name)
    status, pdf, _headers = fetch(signed["certificate_url"])
    assert status == 200
    url = decode_qr(pdf)
    assert url.startswith(server.url + "/v/") and "#" in url
    return url


def one_character_changed(url: str, part: int) -> str:
    """``url`` with one character of the fragment's statement (part 0) or signature (part 1) changed."""
    prefix, fragment = url.split("#")
    parts = fragment.split(".")
    text = parts[part]
    position = len(text) // 2
    parts[part] = text[:position] + ("B" if text[position] == "A" else "A") + text[position + 1 :]
    return prefix + "#" + ".".join(parts)


def renamed(url: str, name: str) -> str:
    """``url`` whose statement names someone else, re-encoded canonically, the signature kept."""
    prefix, fragment = url.split("#")
    statement, signature = fragment.split(".")
    document = json.loads(b64url_decode(statement))
    assert document["n"] != name
    document["n"] = name
    return prefix + "#" + b64url_encode(canonical_bytes(document)) + "." + signature


def phone_page(browser: Any, locale: str = "id-ID", javascript: bool = True) -> Any:
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        locale=locale,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
    )
    return context.new_page()


def watch_errors(page: Any) -> list[str]:
    """Script errors and CSP violations (the browser's own /favicon.ico 404 is not one)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if "Security Policy" in message.text else None
    )
    return errors


def final_verdict(page: Any) -> str:
    page.wait_for_selector(FINAL)
    return str(page.get_attribute("#verdict", "data-verdict"))


def wait_for_verdict(page: Any, verdict: str) -> None:
    page.wait_for_function(
        "v => document.getElementById('verdict').getAttribute('data-verdict') === v", arg=verdict
    )


def headline(page: Any) -> str:
    return " ".join(str(page.inner_text("#verdict h1")).split())


def in_first_viewport(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not visible"
    return bool(box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"])


def visible_green(page: Any) -> list[str]:
    """Every visible element painted in the registry's 'valid' green (text, background or border)."""
    found: list[str] = page.evaluate(
        """green => Array.from(document.querySelectorAll('body *')).filter(el => {
            const r = el.getBoundingClientRect();
            const s = getComputedStyle(el);
            if (r.width === 0 || r.height === 0 || s.visibility === 'hidden') { return false; }
            return [s.color, s.backgroundColor, s.borderTopColor].includes(green);
        }).map(el => el.tagName + '#' + el.id + '.' + el.className + ': ' + el.textContent.slice(0, 60))""",
        OK_GREEN,
    )
    return found


def assert_red_top_verdict(page: Any) -> None:
    assert final_verdict(page) == "mismatch"
    assert headline(page) == HEADLINES["mismatch"]
    assert "diubah" in str(page.inner_text("#verdict"))
    assert "verdict-mismatch" in str(page.get_attribute("#verdict", "class"))
    assert in_first_viewport(page, "#verdict")
    assert visible_green(page) == []
    assert page.locator("#verdict h1", has_text="Sah").count() == 0


def shoot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name))


def test_valid_qr_from_the_certificate_is_green_at_the_top(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    url = qr_from_certificate(app, live_server, "Ayu Lestari")
    page = phone_page(browser)
    errors = watch_errors(page)
    try:
        page.goto(url)
        assert final_verdict(page) == "valid-checked"
        assert headline(page) == "Sah"
        assert "diperiksa di perangkat ini" in str(page.inner_text("#verdict"))
        assert "verdict-valid" in str(page.get_attribute("#verdict", "class"))
        assert page.get_attribute("#verdict", "data-status") == "valid"
        for selector in ("#verdict", "#sealed-name", "#sealed-institution"):
            assert in_first_viewport(page, selector), selector
        assert page.inner_text("#sealed-name") == "Ayu Lestari"
        assert page.inner_text("#sealed-institution") == "Dinas Uji"
        # The details lower on the page agree with the top.
        assert page.get_attribute("#offline-check", "data-result") == "valid"
        assert errors == []  # no CSP violation, no script error
        shoot(page, "verify-phone.png")
    finally:
        page.context.close()


def test_tampered_qr_is_red_at_the_top_and_never_green(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    url = qr_from_certificate(app, live_server, "Budi Santoso")
    page = phone_page(browser)
    errors = watch_errors(page)
    try:
        for tampered in (
            one_character_changed(url, 0),
            one_character_changed(url, 1),
            renamed(url, "Budi Santosa"),
        ):
            page.goto("about:blank")
            page.goto(tampered)
            assert_red_top_verdict(page)
            # The registry's own name is what the page shows, next to the red verdict.
            assert page.inner_text("#sealed-name") == "Budi Santoso"
            assert in_first_viewport(page, "#sealed-name")
        shoot(page, "verify-phone-tampered.png")
        # A genuine statement of another record, moved onto this code, does not match either.
        other = qr_from_certificate(app, live_server, "Citra Dewi")
        page.goto("about:blank")
        page.goto(url.split("#")[0] + "#" + other.split("#")[1])
        assert_red_top_verdict(page)
        assert page.get_attribute("#offline-check", "data-result") == "mismatch"
        assert errors == []
    finally:
        page.context.close()


def test_a_cut_name_in_the_qr_matches_by_its_prefix(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    long_name = "Raden Ajeng Kartika Sari Dewi Wulandari Puspitasari Ningrum"
    url, _ = statement_url(app, live_server, long_name)
    statement = json.loads(b64url_decode(url.split("#")[1].split(".")[0]))
    assert statement["n"].endswith("\u2026") and long_name.startswith(statement["n"][:-1])
    page = phone_page(browser)
    try:
        page.goto(url)
        assert final_verdict(page) == "valid-checked"
        assert page.inner_text("#sealed-name") == long_name
        # A cut name that is not a prefix of the registry's name does not match.
        page.evaluate("f => { location.hash = f; }", renamed(url, "Raden Ajeng Kartini\u2026").split("#")[1])
        wait_for_verdict(page, "mismatch")
        assert "Nama" in str(page.inner_text("#check-differences"))
    finally:
        page.context.close()


def test_no_green_while_the_check_runs(app: Flask, live_server: LiveServer, browser: Any) -> None:
    url, _ = statement_url(app, live_server, "Dian Pertiwi")
    page = phone_page(browser)
    held: list[Any] = []
    page.route("**/.well-known/jwks.json", lambda route: held.append(route))
    try:
        page.goto(url)
        for _ in range(600):  # until the key request is in flight and held back (30 s at most)
            if held:
                break
            page.wait_for_timeout(50)
        assert held, "the page never asked for the registry's keys"
        assert page.get_attribute("#verdict", "data-verdict") == "pending"
        assert "Memeriksa" in headline(page)
        assert visible_green(page) == []
        held[0].continue_()
        assert final_verdict(page) == "valid-checked"
        assert visible_green(page) != []  # the check above could see green
    finally:
        page.context.close()


def test_a_qr_that_cannot_be_checked_is_not_green(app: Flask, live_server: LiveServer, browser: Any) -> None:
    url, _ = statement_url(app, live_server, "Dwi Hartono")
    page = phone_page(browser)
    page.route("**/.well-known/jwks.json", lambda route: route.fulfill(status=503, body="busy"))
    try:
        page.goto(url)
        assert final_verdict(page) == "unchecked"
        assert headline(page) == "Tercatat di registri"
        assert "tidak dapat diperiksa" in str(page.inner_text("#verdict"))
        assert in_first_viewport(page, "#verdict")
        assert visible_green(page) == []
        assert page.get_attribute("#offline-check", "data-result") == "unavailable"
    finally:
        page.context.close()


def test_editing_the_fragment_in_place_recomputes_the_verdict(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    url, _ = statement_url(app, live_server, "Eko Prasetyo")
    page = phone_page(browser)
    try:
        page.goto(url)
        assert final_verdict(page) == "valid-checked"
        page.evaluate("window.sameDocument = true")
        fragment = url.split("#")[1]
        page.evaluate("f => { location.hash = f; }", one_character_changed(url, 1).split("#")[1])
        wait_for_verdict(page, "mismatch")
        assert_red_top_verdict(page)
        page.evaluate("f => { location.hash = f; }", renamed(url, "Eko Prasetya").split("#")[1])
        wait_for_verdict(page, "mismatch")
        page.evaluate("f => { location.hash = f; }", fragment)
        wait_for_verdict(page, "valid-checked")
        assert headline(page) == "Sah" and visible_green(page) != []
        page.evaluate("() => { location.hash = ''; }")  # no statement left: the typed-code verdict
        wait_for_verdict(page, "valid")
        assert page.evaluate("window.sameDocument") is True  # no reload happened
    finally:
        page.context.close()


def test_withdrawn_record_with_a_valid_qr_says_withdrawn(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    url, record_id = statement_url(app, live_server, "Keliru Tanda")
    with app.app_context():
        withdrawals.withdraw(record_id, "Ditandatangani oleh orang yang salah", "admin-test")
    page = phone_page(browser)
    try:
        page.goto(url)
        page.wait_for_selector("#verdict[data-qr]:not([data-qr=pending])")
        assert final_verdict(page) == "withdrawn"
        assert page.get_attribute("#verdict", "data-qr") == "ok"
        assert headline(page) == "Ditarik"
        assert "orang yang salah" in str(page.inner_text("#verdict"))
        assert in_first_viewport(page, "#verdict") and in_first_viewport(page, "#sealed-name")
        assert visible_green(page) == []
        # A tampered QR of a withdrawn record: still withdrawn, and the QR is called out too.
        page.goto("about:blank")
        page.goto(renamed(url, "Benar Tanda"))
        page.wait_for_selector("#verdict[data-qr]:not([data-qr=pending])")
        assert final_verdict(page) == "withdrawn" and page.get_attribute("#verdict", "data-qr") == "mismatch"
        assert "QR tidak cocok dengan registri" in str(page.inner_text("#verdict"))
    finally:
        page.context.close()


def test_unknown_code_says_unknown(app: Flask, live_server: LiveServer, browser: Any) -> None:
    url, _ = statement_url(app, live_server, "Fajar Nugroho")
    page = phone_page(browser)
    try:
        for address in (
            live_server.url + "/v/0000-0000-000",
            live_server.url + "/v/0000-0000-000#" + url.split("#")[1],
        ):
            page.goto("about:blank")
            page.goto(address)
            assert final_verdict(page) == "unknown"
            assert headline(page) == HEADLINES["unknown"]
            assert in_first_viewport(page, "#verdict")
            assert visible_green(page) == []
    finally:
        page.context.close()


def test_typed_code_gets_a_plain_verdict(app: Flask, live_server: LiveServer, browser: Any) -> None:
    url, _ = statement_url(app, live_server, "Gita Savitri")
    code = url.split("/v/", 1)[1].split("#")[0]
    typed = f"{code[:4]}-{code[4:8]}-{code[8:]}"
    page = phone_page(browser)
    try:
        page.goto(f"{live_server.url}/v/{typed}")
        assert final_verdict(page) == "valid"
        assert headline(page) == "Sah"
        top = str(page.inner_text("#verdict"))
        for jargon in ("fragment", "pernyataan", "statement", "Ed25519", "WebCrypto", "JavaScript"):
            assert jargon.lower() not in top.lower(), jargon
        assert "verdict-valid" in str(page.get_attribute("#verdict", "class"))
        assert in_first_viewport(page, "#verdict") and in_first_viewport(page, "#sealed-institution")
        assert page.get_attribute("#offline-check", "data-result") == "none"
    finally:
        page.context.close()


def test_without_javascript_the_page_says_the_qr_was_not_checked(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    url, _ = statement_url(app, live_server, "Hadi Wijaya")
    page = phone_page(browser, javascript=False)
    try:
        page.goto(url)
        top = " ".join(str(page.inner_text("#verdict")).split())
        assert "Tercatat di registri" in top and "JavaScript" in top and "tidak dapat diperiksa" in top
        assert "Memeriksa" not in top
        assert in_first_viewport(page, "#verdict") and in_first_viewport(page, "#sealed-name")
    finally:
        page.context.close()
    # No green either (computed in a scripted page showing the same server HTML).
    page = phone_page(browser)
    try:
        page.route(
            "**/verify.js", lambda route: route.fulfill(status=200, body="", content_type="text/javascript")
        )
        page.goto(url)
        assert page.get_attribute("#verdict", "data-verdict") == "pending"
        assert visible_green(page) == []
    finally:
        page.context.close()


def test_english_after_the_language_switch_keeps_the_qr(
    app: Flask, live_server: LiveServer, browser: Any
) -> None:
    url, _ = statement_url(app, live_server, "Indah Permata")
    page = phone_page(browser)
    try:
        page.goto(renamed(url, "Indah Permana"))
        assert final_verdict(page) == "mismatch"
        page.click("button[name=lang][value=en]")
        page.wait_for_selector("button[name=lang][value=id]")
        assert final_verdict(page) == "mismatch"  # the fragment survived the switch
        assert headline(page) == "QR does not match the registry"
        assert "#" in page.url
        page.evaluate("f => { location.hash = f; }", url.split("#")[1])
        wait_for_verdict(page, "valid-checked")
        assert headline(page) == "Valid"
        assert "checked on this device" in str(page.inner_text("#verdict"))
    finally:
        page.context.close()


def test_upload_page_in_the_browser(
    app: Flask, live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    _, record_id = statement_url(app, live_server, "Dewi Anggraini")
    with app.app_context():
        pdf = certificates.certificate_pdf(signing.get(record_id))
    path = tmp_path / "sertifikat.pdf"
    path.write_bytes(pdf)
    page = phone_page(browser)
    try:
        page.goto(live_server.url + "/verify/upload")
        page.set_input_files("#certificate", str(path))
        page.click("button[type=submit]:text('Periksa')")
        page.wait_for_selector("#verdict")
        assert page.get_attribute("#verdict", "data-status") == "valid"
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / "verify-upload.png"), full_page=True)
    finally:
        page.context.close()
