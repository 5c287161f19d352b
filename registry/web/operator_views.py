"""The operator's pages (all of ``/operator``): enrolling a tablet as a kiosk, and the desk —
read-only progress with search, certificate reprints, walk-in registration.

Thin views over registry/services/desk.py; the kiosk itself is registry/web/kiosk.py.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField

from registry import security_log
from registry.http_problems import localized
from registry.models import CommitmentVersion
from registry.services import certificates, commitments, credentials, desk
from registry.services.errors import InvalidInput, NotFound, ServiceError
from registry.web import staff_sessions
from registry.web.auth import roles_required
from registry.web.forms import PostedForm

operator = Blueprint("operator", __name__, url_prefix="/operator")

WALK_IN_FIELDS = ("name", "position", "institution", "category")


class WalkInForm(PostedForm):
    """A walk-in as the operator types them; ``different_person`` is the button that confirms a
    listed namesake is someone else (registry/services/desk.py checks the fields)."""

    name = StringField("name", default="")
    position = StringField("position", default="")
    institution = StringField("institution", default="")
    category = SelectField("category", default="", validate_choice=False)
    different_person = StringField("different_person", default="")


class EnrolForm(PostedForm):
    """The operator's choice of open commitment for this tablet, and the tablet's label."""

    commitment = SelectField("commitment", default="", validate_choice=False)
    label = StringField("label", default="")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _open_versions() -> list[CommitmentVersion]:
    return [v for v in commitments.list_published() if v.status == "open"]


@operator.get("")
@roles_required("operator", "admin")
def home() -> Response:
    """Operator: enrol this tablet for an open commitment."""
    page = render_template(
        "operator/home.html", versions=_open_versions(), published=commitments.list_published()
    )
    return _no_store(Response(page, mimetype="text/html"))


@operator.post("/enrol")
@roles_required("operator", "admin")
def enrol() -> Response:
    """Enrol this tablet: issue a device credential for one open commitment and switch to kiosk mode."""
    form = EnrolForm()
    slug = form.posted("commitment")
    label = form.posted("label").strip() or _("Tablet kiosk")
    if slug not in {v.commitment.slug for v in _open_versions()}:
        flash(_("Pilih komitmen yang sedang dibuka untuk penandatanganan."), "error")
        return redirect(url_for("operator.home"), code=303)
    try:
        issued = credentials.issue("device", label, commitment=slug, user=current_user)
    except ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("operator.home"), code=303)
    operator_id = current_user.public_id
    lang = session.get("lang")
    staff_sessions.end()  # the operator's own session ends: the tablet is now a kiosk
    session.clear()
    session["kiosk_device"] = issued.credential.id
    session["kiosk_operator"] = operator_id
    if lang:
        session["lang"] = lang
    return redirect(url_for("kiosk.page"), code=303)


@operator.errorhandler(NotFound)
def _not_found(exc: NotFound) -> tuple[str, int]:
    return render_template("admin/error.html", message=localized(exc)), 404


@operator.get("/commitments/<slug>/versions/<row:version>/progress")
@roles_required("operator", "admin")
def progress(slug: str, version: int) -> Response:
    """Operator: who has signed a published version and who has not yet, with a name search."""
    found = desk.view(slug, version, request.args.get("q", ""))
    page = render_template("operator/progress.html", d=found, slug=slug)
    return _no_store(Response(page, mimetype="text/html"))


@operator.get("/signatures/<record_id>/certificate.pdf")
@roles_required("operator", "admin")
def reprint(record_id: str) -> Response:
    """Operator: print a signer's certificate again at the desk (each reprint is logged)."""
    row = desk.reprintable(record_id)
    security_log.event("desk.certificate_reprinted", record=row.id)
    response = Response(certificates.certificate_pdf(row), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{certificates.certificate_filename(row)}"'
    return _no_store(response)


def _walk_in_page(
    slug: str, values: dict[str, str], errors: dict[str, str], status: int, twin: desk.TwinFound | None = None
) -> tuple[str, int]:
    version = desk.open_version(slug)
    page = render_template(
        "operator/walk_in.html", v=version, slug=slug, values=values, errors=errors, twin=twin
    )
    return page, status


@operator.route("/commitments/<slug>/walk-in", methods=["GET", "POST"])
@roles_required("operator", "admin")
def walk_in(slug: str) -> Response | tuple[str, int]:
    """Operator: register a walk-in so they find their own name on a kiosk."""
    form = WalkInForm()
    if not form.is_submitted():
        return _walk_in_page(slug, {}, {}, 200)
    values = form.texts(*WALK_IN_FIELDS)
    different = form.ticked("different_person", "1")
    try:
        added = desk.register_walk_in(slug, desk.WalkIn(**values), different_person=different)
    except desk.TwinFound as exc:
        return _walk_in_page(slug, values, {}, 409, twin=exc)
    except InvalidInput as exc:
        field = exc.field if exc.field in WALK_IN_FIELDS else "name"
        return _walk_in_page(slug, values, {field: localized(exc)}, 400)
    security_log.event("desk.walk_in_registered", commitment=slug, invitee=added.id)
    flash(
        _("%(name)s didaftarkan. Ia kini dapat mencari namanya di tablet kiosk.", name=added.name),
        "info",
    )
    version = desk.open_version(slug)
    return redirect(url_for(".progress", slug=slug, version=version.version, q=added.name), code=303)
