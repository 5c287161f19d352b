"""Tablets at the event: signers use the kiosk on a tablet an operator enrolled
(the enrolment is registry/web/operator_views.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField

from registry.core.canonical import parse_canonical
from registry.core.name_search import TITLES
from registry.db import utcnow
from registry.models import CommitmentVersion, Credential, SignatureRecord
from registry.services import accounts, certificates, commitments, credentials, roster, signing, throttle
from registry.services.errors import NotFound
from registry.web import mfa_views, throttled
from registry.web.forms import PostedForm

kiosk = Blueprint("kiosk", __name__, url_prefix="/kiosk")
F = TypeVar("F", bound=Callable[..., Any])

STATIC = Path(__file__).resolve().parent.parent / "static" / "kiosk"
MIN_QUERY = 2
# How long after signing a tablet may fetch the QR of that signature: the success screen shows it
# for 45 s; beyond that the next signer stands at the tablet.
QR_SECONDS = 120


class LeaveForm(PostedForm):
    """Leaving kiosk mode: the enrolling operator's (or an admin's) sign-in, and whether to retire."""

    username = StringField("username")  # None when left out, as the sign-in throttle counts it
    password = PasswordField("password", default="")
    retire = StringField("retire", default="")


def _no_store(response: Response) -> Response:
    # Nothing a signer saw may come back from the browser's cache or the back button.
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_limit() -> str:
    return str(current_app.config.get("IKRAR_LOGIN_LIMIT", "10 per minute;100 per day"))


def _device() -> Credential | None:
    # Also None once the operator who enrolled the tablet is disabled (credentials.owner_active).
    return credentials.live_device(session.get("kiosk_device"))


def kiosk_required(view: F) -> F:
    """Only a browser session holding a live device enrolment; others are sent to the operator page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        credential = _device()
        if credential is None:
            if request.endpoint != "kiosk.page":
                abort(401)
            return redirect(url_for("operator.home"))
        return view(credential, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _version(credential: Credential) -> CommitmentVersion:
    assert credential.commitment is not None  # a device credential always names a commitment
    return commitments.get_version(credential.commitment.slug, published_only=True)


@kiosk.get("")
@kiosk_required
def page(credential: Credential) -> Response:
    """Kiosk: the signing flow on an enrolled tablet."""
    version = _version(credential)
    html = render_template(
        "kiosk/kiosk.html",
        version=version,
        slug=credential.commitment.slug if credential.commitment else "",
        device=credential,
    )
    return _no_store(Response(html, mimetype="text/html"))


@kiosk.get("/state")
@kiosk_required
def state(credential: Credential) -> Response:
    """A fresh CSRF token and whether the commitment is still open (the page may be a cached copy)."""
    version = _version(credential)
    return _no_store(
        jsonify({"csrf_token": generate_csrf(), "open": version.status == "open", "device": credential.id})
    )


@kiosk.get("/invitees")
@kiosk_required
def invitees(credential: Credential) -> Response:
    """Invitees of this tablet's commitment that the query finds (registry/core/names.py), best
    first; ``more`` when more than 8 match (the kiosk then asks to type more)."""
    query = " ".join(request.args.get("q", "").split())[:100]
    if len(query) < MIN_QUERY:
        return _no_store(jsonify({"invitees": [], "more": False}))
    found = roster.search(_version(credential), query)
    return _no_store(jsonify({"invitees": found.invitees, "more": found.more}))


@kiosk.get("/roster")
@kiosk_required
def roster_json(credential: Credential) -> Response:
    """The whole invitee roster of this tablet's commitment, kept on the tablet for offline search
    (names, positions, institutions, category labels and whether each signed; nothing else)."""
    version = _version(credential)
    return _no_store(
        jsonify(
            {
                "commitment": version.commitment.slug,
                "device": credential.id,
                "titles": sorted(TITLES),
                "invitees": roster.roster(version),
            }
        )
    )


def _made_here(row: SignatureRecord | None, credential: Credential) -> bool:
    """Whether this tablet's enrolment signed ``row`` a moment ago (so its QR may be shown here).

    Read from the record, not remembered in the session: the offline queue signs from the same
    session while the next signer signs, and with a cookie session the last response would win and
    drop the live signer's grant. Each enrolment has its own device credential that only this
    browser session holds, so "signed by this credential" is "signed by this kiosk session".
    """
    if row is None or row.commitment_version.commitment_id != credential.commitment_id:
        return False
    if parse_canonical(bytes(row.body)).get("device") != credential.id:
        return False
    seconds = int(current_app.config.get("IKRAR_KIOSK_QR_SECONDS", QR_SECONDS))
    return row.signed_at > utcnow() - timedelta(seconds=seconds)


@kiosk.get("/qr/<record_id>.svg")
@kiosk_required
def qr(credential: Credential, record_id: str) -> Response:
    """The QR code (SVG) of the certificate link of a signature this tablet has just made."""
    from registry.pdf.qr_drawing import qr_matrix

    try:
        row = signing.get(record_id)
    except NotFound:
        abort(404)
    if not _made_here(row, credential):
        abort(404)  # never 403: whether another id exists is none of the tablet's business
    url = certificates.certificate_url(row)
    matrix = qr_matrix(url)
    n = len(matrix)
    path = "".join(
        f"M{c} {r}h1v1h-1z" for r, line in enumerate(matrix) for c, dark in enumerate(line) if dark
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" shape-rendering="crispEdges">'
        f'<rect width="{n}" height="{n}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )
    response = Response(svg, mimetype="image/svg+xml")
    return _no_store(response)


@kiosk.get("/sw.js")
def service_worker() -> Response:
    """The kiosk's service worker (keeps the kiosk page available offline)."""
    response = send_file(STATIC / "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/kiosk"
    response.headers["Cache-Control"] = "no-cache"
    return response


@kiosk.route("/leave", methods=["GET", "POST"])
@throttled.limit(_login_limit)  # IKRAR_LOGIN_LIMIT: failures per account and address
def leave() -> Response | tuple[str, int]:
    """Leave kiosk mode (the operator who enrolled the tablet, or an admin, signs in)."""
    credential = _device()
    if credential is None and "kiosk_device" not in session:
        return redirect(url_for("operator.home"))
    form = LeaveForm()
    if form.is_submitted():
        attempt = throttled.begin(form.username.data)  # sign-in throttling, as /login
        if isinstance(attempt, throttle.Wait):
            return throttled.refused(attempt, "kiosk/leave.html", device=credential)
        with throttled.checking(attempt):
            user = accounts.authenticate(form.posted("username"), form.posted("password"))
        throttled.report(attempt, right_password=user is not None)
        allowed = user is not None and (
            user.public_id == session.get("kiosk_operator") or user.role == "admin"
        )
        if user is None or not allowed:
            flash(
                _("Hanya operator yang mendaftarkan tablet ini atau admin yang dapat keluar."),
                "error",
            )
            return render_template("kiosk/leave.html", device=credential), 403
        retired = False
        if form.ticked("retire", "1") and credential is not None:
            credentials.revoke(credential.id)
            retired = True
        flash(
            _("Tablet dipensiunkan; kredensialnya dicabut.") if retired else _("Mode kiosk ditutup."), "info"
        )
        # An admin who must use MFA gives the code before the session begins, as at /login.
        return mfa_views.after_password(user, None)
    return _no_store(Response(render_template("kiosk/leave.html", device=credential), mimetype="text/html"))
