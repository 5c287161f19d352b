"""axe-core on every page, in headless Chromium: 0 critical and 0 serious violations.

One registry and one ``ikrar serve`` for the whole module (with MFA required, as in production),
prepared with a signature in every state the verify page shows; each page (and each kiosk step,
each verdict) is its own test. Public pages are checked at phone (390 px) and desktop (1280 px)
width, staff pages at desktop width, the kiosk at the tablet size it runs on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from registry.app import create_app
from registry.services import accounts, certificates, commitments, erasure, signing, withdrawals
from tests.a11y import assert_accessible, violations
from tests.conftest import LiveServer, environment, initialise, serving
from tests.factories import DEMO, walk_in
from tests.test_kiosk_browser import TABLET, draw_signature, log_in, walk_through
from tests.test_verify_browser import final_verdict, renamed

pytestmark = pytest.mark.same_on_every_database

PASSWORD = "correct horse battery staple"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
DEMO_V1 = f"/admin/commitments/{DEMO}/versions/1"
DRAFT = "draf-aksesibilitas"


@dataclass
class Site:
    app: Flask
    server: LiveServer
    tmp: Path
    records: dict[str, str] = field(default_factory=dict)  # state -> record id
    qr: dict[str, str] = field(default_factory=dict)  # state -> the certificate QR's address


def _sign(app: Flask, server: LiveServer, name: str) -> tuple[str, str]:
    with app.app_context():
        row = signing.sign(walk_in(name), app.extensions["ikrar.signers"]).record
        url, signed = certificates.qr_url_for(row)
        assert signed
        return str(row.id), server.url + "/v/" + url.split("/v/", 1)[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("a11y")
    with environment(tmp) as env:
        app = create_app(env.config(), startup_checks=False)
        initialise(app)
        with serving(env.variables | {"IKRAR_MFA": "required"}, env.instance) as server:
            made = Site(app, server, tmp)
            for state, name in (
                ("valid", "Ayu Lestari"),
                ("withdrawn", "Keliru Tanda"),
                ("erased", "Wiraswasti Handayaningrat"),
            ):
                made.records[state], made.qr[state] = _sign(app, server, name)
            with app.app_context():
                withdrawals.withdraw(
                    made.records["withdrawn"], "Ditandatangani oleh orang yang salah", "a11y"
                )
                erasure.erase([made.records["erased"]], ground="request", actor="a11y")
                accounts.create_user("a11y-operator", "Operator Meja Depan", "operator", PASSWORD)
                commitments.create(
                    DRAFT,
                    commitments.CommitmentDraft(
                        title="Draf Uji Aksesibilitas",
                        text="Kami berjanji.",
                        place="Purbalingga",
                        event_date=date(2025, 2, 3),
                        dimensions=[{"id": "transparansi", "label": "Transparansi"}],
                        categories=[{"id": "pemerintah", "label": "Pemerintah"}],
                        consent_text="Saya setuju.",
                    ),
                )
                pdf = certificates.certificate_pdf(signing.get(made.records["valid"]))
            (tmp / "sertifikat.pdf").write_bytes(pdf)
            (tmp / "undangan.csv").write_bytes(
                b"\xef\xbb\xbfnama;jabatan;instansi;kategori;kontak\n"
                b"Ahmad Fauzi;Kepala Dinas;Dinas Pendidikan;pemerintah;\n"
                b";Dosen;Universitas Perwira;akademisi;\n"
            )
            yield made
        from registry.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _context(browser: Any, viewport: dict[str, int]) -> Any:
    return browser.new_context(viewport=viewport, device_scale_factor=1, locale="id-ID")


def _enrol_mfa(page: Any, site: Site, username: str) -> pyotp.TOTP:
    """Sign a new admin in; MFA is required, so the browser lands on the enrolment page."""
    with site.app.app_context():
        accounts.create_user(username, "Admin Diskominfo", "admin", PASSWORD)
    page.goto(f"{site.server.url}/login?next=/admin/commitments")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/account/mfa")
    return pyotp.TOTP(page.locator("#mfa-secret").inner_text().replace(" ", ""))


def _confirm_mfa(page: Any, totp: pyotp.TOTP) -> None:
    page.fill("#code", totp.at(int(time.time()) // 30 * 30))
    page.click("button[type=submit]")
    page.wait_for_selector("#recovery-codes")


@pytest.fixture(scope="module")
def admin(browser: Any, site: Site) -> Iterator[Any]:
    """A desktop browser context signed in as an admin (MFA enrolled)."""
    context = _context(browser, WIDTHS["desktop"])
    page = context.new_page()
    _confirm_mfa(page, _enrol_mfa(page, site, "a11y-admin"))
    page.click("#mfa-continue")
    page.wait_for_url("**/admin/commitments")
    page.close()
    yield context
    context.close()


@pytest.fixture(scope="module")
def tablet(browser: Any, site: Site) -> Iterator[Any]:
    """A kiosk tablet, enrolled by the operator; each test reloads /kiosk and walks to its step."""
    context = browser.new_context(viewport=TABLET, device_scale_factor=1, locale="id-ID")
    page = context.new_page()
    log_in(page, site.server, "a11y-operator")
    page.fill("#label", "Tablet aksesibilitas")
    page.click("#enrol")
    page.wait_for_url(site.server.url + "/kiosk")
    yield page
    context.close()


# --- the check itself can fail ---------------------------------------------------------------


def test_the_check_fails_on_an_inaccessible_page(browser: Any) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content('<html><body><img src="x.png"><button></button><input id="q"></body></html>')
        found = {v["id"]: v["impact"] for v in violations(page)}
        assert found["image-alt"] == "critical" and found["button-name"] == "critical"
        with pytest.raises(AssertionError, match="image-alt"):
            assert_accessible(page, context="a page made to fail")
    finally:
        context.close()


# --- public pages ----------------------------------------------------------------------------


def _verdict(state: str, address: Callable[[Site], str]) -> Callable[[Any, Site], None]:
    def visit(page: Any, site: Site) -> None:
        page.goto(address(site))
        assert final_verdict(page) == state

    return visit


def _path(path: str) -> Callable[[Any, Site], None]:
    def visit(page: Any, site: Site) -> None:
        response = page.goto(site.server.url + path)
        assert response is not None and response.status == 200, path

    return visit


def _unchecked(page: Any, site: Site) -> None:
    # The registry's keys do not arrive: the QR cannot be checked on the device.
    page.route("**/.well-known/jwks.json", lambda route: route.fulfill(status=503, body="busy"))
    page.goto(site.qr["valid"])
    assert final_verdict(page) == "unchecked"


def _upload_result(page: Any, site: Site) -> None:
    page.goto(site.server.url + "/verify/upload")
    page.set_input_files("#certificate", str(site.tmp / "sertifikat.pdf"))
    page.click("button[type=submit]:text('Periksa')")
    page.wait_for_selector("#verdict")
    assert page.get_attribute("#verdict", "data-status") == "valid"


def _typed(site: Site) -> str:
    return site.qr["valid"].split("#", 1)[0]


PUBLIC: dict[str, Callable[[Any, Site], None]] = {
    "verify-valid-qr": _verdict("valid-checked", lambda s: s.qr["valid"]),
    "verify-valid-typed": _verdict("valid", _typed),
    "verify-tampered": _verdict("mismatch", lambda s: renamed(s.qr["valid"], "Ayu Lestary")),
    "verify-withdrawn": _verdict("withdrawn", lambda s: s.qr["withdrawn"]),
    "verify-erased": _verdict("erased", lambda s: s.qr["erased"]),
    "verify-unchecked": _unchecked,
    "verify-unknown": _verdict("unknown", lambda s: s.server.url + "/v/0000-0000-000"),
    "verify-upload": _path("/verify/upload"),
    "verify-upload-result": _upload_result,
    "public-list": _path(f"/c/{DEMO}"),
    "live-screen": _path(f"/c/{DEMO}/layar"),
    "home": _path("/"),
    "version-page": _path(f"/c/{DEMO}/v1"),
    "not-found": lambda page, site: page.goto(f"{site.server.url}/c/tidak-ada-komitmen"),
    "audit": _path("/audit"),
    "privacy": _path("/privasi"),
    "login": _path("/login"),
}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", list(PUBLIC))
def test_public_page(browser: Any, site: Site, name: str, width: str) -> None:
    context = _context(browser, WIDTHS[width])
    try:
        page = context.new_page()
        PUBLIC[name](page, site)
        assert_accessible(page, context=f"{name} at {width} width")
    finally:
        context.close()


# --- staff pages -----------------------------------------------------------------------------


def _import_report(page: Any, site: Site) -> None:
    page.goto(f"{site.server.url}/admin/commitments/{DEMO}")
    page.set_input_files("#file", str(site.tmp / "undangan.csv"))
    page.click("button >> text=Impor")
    page.wait_for_selector("#summary")


def _form_errors(page: Any, site: Site) -> None:
    page.goto(site.server.url + "/admin/commitments/new")
    page.fill("#slug", "X")
    # The browser's own check of required fields would stop the form before the server sees it.
    page.evaluate("() => { document.querySelector('form.card').noValidate = true; }")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_selector(".field-error")


ADMIN: dict[str, Callable[[Any, Site], None]] = {
    "admin-commitments": _path("/admin/commitments"),
    "admin-commitment-new": _path("/admin/commitments/new"),
    "admin-commitment-new-errors": _form_errors,
    "admin-commitment": _path(f"/admin/commitments/{DEMO}"),
    "admin-version": _path(DEMO_V1),
    "admin-version-draft": _path(f"/admin/commitments/{DRAFT}/versions/1"),
    "admin-version-edit": _path(f"/admin/commitments/{DRAFT}/versions/1/edit"),
    "admin-revise": _path(f"/admin/commitments/{DEMO}/revise"),
    "admin-progress": _path(f"{DEMO_V1}/progress"),
    "admin-confirm-close": _path(f"{DEMO_V1}/confirm/close"),
    "admin-signature": lambda page, site: _path(f"/admin/signatures/{site.records['valid']}")(page, site),
    "admin-signature-withdrawn": lambda page, site: _path(f"/admin/signatures/{site.records['withdrawn']}")(
        page, site
    ),
    "admin-retention": _path(f"/admin/commitments/{DEMO}/retention"),
    "admin-import-report": _import_report,
    "admin-certificates": _path(f"/admin/commitments/{DEMO}/certificates"),
    "admin-not-found": lambda page, site: page.goto(f"{site.server.url}/admin/commitments/tidak-ada"),
    "account-password": _path("/account/password"),
}


@pytest.mark.parametrize("name", list(ADMIN))
def test_admin_page(admin: Any, site: Site, name: str) -> None:
    page = admin.new_page()
    try:
        ADMIN[name](page, site)
        assert_accessible(page, context=name)
    finally:
        page.close()


@pytest.mark.parametrize("step", ["enrol", "recovery-codes", "code"])
def test_mfa_page(browser: Any, site: Site, step: str) -> None:
    context = _context(browser, WIDTHS["desktop"])
    try:
        page = context.new_page()
        totp = _enrol_mfa(page, site, f"a11y-mfa-{step}")
        if step != "enrol":
            _confirm_mfa(page, totp)
        if step == "code":
            page.click("#mfa-continue")
            page.wait_for_url("**/admin/commitments")
            page.click("form[action='/logout'] button")
            page.goto(f"{site.server.url}/login")
            page.fill("#username", f"a11y-mfa-{step}")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/login/mfa**")
        assert_accessible(page, context=f"MFA {step}")
    finally:
        context.close()


OPERATOR_PATHS = {
    "operator-progress": f"/operator/commitments/{DEMO}/versions/1/progress?q=agus",
    "operator-walk-in": f"/operator/commitments/{DEMO}/walk-in",
}


@pytest.mark.parametrize("name", ["operator-home", "kiosk-leave", *OPERATOR_PATHS])
def test_operator_page(browser: Any, site: Site, name: str) -> None:
    context = browser.new_context(viewport=TABLET, device_scale_factor=1, locale="id-ID")
    try:
        page = context.new_page()
        log_in(page, site.server, "a11y-operator")
        if name in OPERATOR_PATHS:
            _path(OPERATOR_PATHS[name])(page, site)
        if name == "kiosk-leave":
            page.fill("#label", "Tablet keluar")
            page.click("#enrol")
            page.wait_for_url(site.server.url + "/kiosk")
            page.click("a[href='/kiosk/leave']")
            page.wait_for_selector("#password")
        assert_accessible(page, context=name)
    finally:
        context.close()


# --- the kiosk, step by step -----------------------------------------------------------------


def _fill_walk_in(page: Any, name: str) -> None:
    page.click("#walk-in")
    page.fill("#f-name", name)
    page.fill("#f-position", "Warga")
    page.fill("#f-institution", "RT 03")
    page.select_option("#f-category", "komunitas")


def _to_step(page: Any, step: str) -> None:
    """From the kiosk's start to ``step`` (the signer is an invitee found by search)."""
    if step == "find":
        return
    if step == "results":
        page.fill("#search", "ratna")
        page.wait_for_selector(".result")
        return
    if step == "no-results":
        page.fill("#search", "Zzyzx Qwerty")
        page.wait_for_selector("#no-results:not([hidden])")
        return
    if step == "walk-in-form":
        _fill_walk_in(page, "Rina Aksesibel")
        return
    if step == "dimensions-error":
        _fill_walk_in(page, "Rina Aksesibel")
        page.click("#identity-next")
        page.click("#read-next")
        page.click("#dimensions-next")
        page.wait_for_selector("#dimensions-error:not([hidden])")
        return
    if step == "identity-error":
        page.click("#walk-in")
        page.click("#identity-next")
        page.wait_for_selector("#identity-error:not([hidden])")
        return
    order = ["identity", "read", "dimensions", "consent", "sign", "review"]
    if step in order:
        page.fill("#search", "ratna")
        page.wait_for_selector(".result")
        page.locator(".result").first.click()
        page.wait_for_selector("#step-identity:not([hidden])")
        for current, button in zip(order[:4], NEXT, strict=True):
            if current == step:
                return
            if current == "dimensions":
                page.check("input[name=dimension][value=smart-governance]")
            if current == "consent":
                page.check("#consent")
                page.check("input[name=public_display][value=yes]")
            page.click(button)
        page.wait_for_selector("#step-sign:not([hidden])")
        draw_signature(page)
        if step == "review":
            page.click("#sign-next")
            page.wait_for_selector("#step-review:not([hidden])")
        return
    raise AssertionError(step)


NEXT = ["#identity-next", "#read-next", "#dimensions-next", "#consent-next"]
KIOSK = [
    "find",
    "results",
    "no-results",
    "walk-in-form",
    "identity-error",
    "dimensions-error",
    "identity",
    "read",
    "dimensions",
    "consent",
    "sign",
    "review",
    "done",
    "queued",
]


@pytest.mark.parametrize("step", KIOSK)
def test_kiosk_step(tablet: Any, site: Site, step: str) -> None:
    page = tablet
    page.goto(site.server.url + "/kiosk")
    page.wait_for_selector("#step-find:not([hidden])")
    if step in ("done", "queued"):
        if step == "queued":
            # The service worker must hold the kiosk before the network goes.
            page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
            page.context.set_offline(True)
        try:
            walk_through(
                page,
                search=None,
                walk_in={
                    "name": f"Penanda Kiosk {step.title()}",
                    "position": "Warga",
                    "institution": "RT 04",
                    "category": "komunitas",
                },
            )
            page.click("#submit")
            page.wait_for_selector(f"#step-{step}:not([hidden])")
            assert_accessible(page, context=f"kiosk step {step}")
        finally:
            page.context.set_offline(False)
        return
    _to_step(page, step)
    assert_accessible(page, context=f"kiosk step {step}")
