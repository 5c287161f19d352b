"""Admin pages: commitments and their versions, invitee import, progress, withdrawal of a signature."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from registry.core import name_search
from registry.core.errors import N_, IkrarError
from registry.extensions import db
from registry.http_problems import localized
from registry.models import Commitment, CommitmentVersion, Invitee, SignatureRecord
from registry.services import commitments, invitee_edits, invitees, sealed, signing, withdrawals
from registry.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from registry.web.auth import roles_required
from registry.web.dates import long_wib

admin = Blueprint("admin", __name__, url_prefix="/admin")


class Unconfirmed(ServiceError):
    """An action POSTed without its explicit confirmation: refused, nothing changed."""


WIB = timezone(timedelta(hours=7), "WIB")  # Asia/Jakarta: UTC+7 all year
FORM_FIELDS = (
    "slug",
    "issuer",
    "title",
    "text",
    "place",
    "event_date",
    "dimensions",
    "categories",
    "consent_text",
)

Page = str | tuple[str, int]
# The commitment fields the services name in their messages, translated with them.
FIELD_LABELS = (N_("title"), N_("text"), N_("place"), N_("consent text"), N_("reason"), N_("issuer"))


@admin.app_template_filter("admin_wib")
def format_wib(moment: datetime | None) -> str:
    """An instant as ``Kamis, 12 September 2024 pukul 10.15 WIB`` (registry/web/dates.py)."""
    return long_wib(moment)


@admin.app_template_filter("category_label")
def category_label(category: str, version: Any) -> str:
    """A stakeholder category's label in ``version`` (a commitment version), its id if unknown."""
    for item in getattr(version, "categories", None) or []:
        if item.get("id") == category:
            return str(item.get("label") or category)
    return category


@admin.app_template_filter("admin_localized")
def localized_filter(error: IkrarError) -> str:
    """An error's message in the reader's language."""
    return localized(error)


@admin.app_template_filter("admin_status")
def status_label(status: str) -> str:
    """A commitment version's status in the interface language."""
    labels: dict[str, str] = {"draft": _("draf"), "open": _("dibuka"), "closed": _("ditutup")}
    return labels.get(status, status)


@admin.errorhandler(NotFound)
def _not_found(exc: NotFound) -> tuple[str, int]:
    return render_template("admin/error.html", message=localized(exc)), 404


@admin.errorhandler(413)
def _too_large(_exc: Exception) -> tuple[str, int]:
    # The whole request was refused by its declared length before any view ran: say why in the page.
    limit = int(current_app.config["MAX_CONTENT_LENGTH"]) // 1024
    message = _(
        "Berkas terlalu besar: permintaan lebih dari %(limit)d KiB ditolak. "
        "Impor paling banyak %(kib)d KiB sekaligus; bagi berkas menjadi beberapa bagian.",
        limit=limit,
        kib=invitees.MAX_CSV_BYTES // 1024,
    )
    return render_template("admin/error.html", message=message, title=_("Berkas terlalu besar")), 413


# --- commitments -----------------------------------------------------------------------------


def _latest_versions() -> list[CommitmentVersion]:
    rows = db.session.execute(
        select(CommitmentVersion).join(Commitment).order_by(Commitment.slug, CommitmentVersion.version.desc())
    ).scalars()
    latest: dict[int, CommitmentVersion] = {}
    for row in rows:
        latest.setdefault(row.commitment_id, row)
    return list(latest.values())


@admin.get("/commitments", endpoint="commitments")  # the login page sends admins here
@roles_required("admin")
def commitments_page() -> str:
    """Admin: the list of commitments and their latest versions."""
    return render_template("admin/commitments.html", versions=_latest_versions())


def _lines(text: str, field: str) -> list[dict[str, str]]:
    """``id | label`` per line, as the form writes dimensions and categories."""
    items = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        if "|" not in line:
            raise InvalidInput(_("baris %(n)d: tulis \u201cid | label\u201d", n=number), field=field)
        ident, label = line.split("|", 1)
        items.append({"id": ident.strip(), "label": label.strip()})
    return items


def _draft_from(form: Any) -> commitments.CommitmentDraft:
    raw_date = (form.get("event_date") or "").strip()
    try:
        event_date = date.fromisoformat(raw_date)
    except ValueError:
        raise InvalidInput(_("tanggal harus berbentuk YYYY-MM-DD"), field="event_date") from None
    return commitments.CommitmentDraft(
        title=form.get("title", ""),
        text=form.get("text", ""),
        place=form.get("place", ""),
        event_date=event_date,
        dimensions=_lines(form.get("dimensions", ""), "dimensions"),
        categories=_lines(form.get("categories", ""), "categories"),
        consent_text=form.get("consent_text", ""),
        issuer=form.get("issuer", ""),
    )


def _field_of(error: ServiceError) -> str:
    """The form field a service error is about (the services name fields in words)."""
    name = (error.field or "").replace(" ", "_")
    for candidate in FORM_FIELDS:
        if name == candidate or name.startswith(candidate):
            return candidate
    if name.startswith("consent"):
        return "consent_text"
    return ""


def _values_of(version: CommitmentVersion) -> dict[str, str]:
    def lines(items: list[dict[str, Any]]) -> str:
        return "\n".join(f"{i['id']} | {i['label']}" for i in items)

    return {
        "title": version.title,
        "text": version.text,
        "place": version.place,
        "event_date": version.event_date.isoformat(),
        "dimensions": lines(version.dimensions),
        "categories": lines(version.categories),
        "consent_text": version.consent_text,
        "issuer": version.issuer or "",
    }


def _form_page(
    mode: str, values: dict[str, str], errors: dict[str, str], status: int = 200, **extra: Any
) -> Page:
    page = render_template("admin/commitment_form.html", mode=mode, values=values, errors=errors, **extra)
    return (page, status) if status != 200 else page


def _error_dict(exc: ServiceError) -> dict[str, str]:
    return {_field_of(exc): localized(exc)}


@admin.route("/commitments/new", methods=["GET", "POST"])
@roles_required("admin")
def create_commitment() -> Page | Response:
    """Admin: write a new commitment (a draft, version 1)."""
    if request.method == "GET":
        return _form_page("create", {}, {})
    values = {k: request.form.get(k, "") for k in FORM_FIELDS}
    try:
        version = commitments.create(values["slug"].strip(), _draft_from(request.form))
    except (InvalidInput, Conflict) as exc:
        return _form_page("create", values, _error_dict(exc), 422)
    flash(_("Draf komitmen dibuat."), "info")
    return redirect(url_for(".version_page", slug=version.commitment.slug, version=version.version), code=303)


@admin.get("/commitments/<slug>")
@roles_required("admin")
def commitment_page(slug: str) -> str:
    """Admin: a commitment's versions and its invitees (signed or not)."""
    commitment = invitees.commitment(slug)
    published = [v for v in commitment.versions if v.status != "draft"]
    current = published[-1] if published else None
    statuses = invitees.progress(slug, current.version).invited if current else None
    people = list(
        db.session.execute(
            select(Invitee)
            .where(Invitee.commitment_id == commitment.id, Invitee.walk_in.is_(False))
            .order_by(Invitee.name)
        ).scalars()
    )
    people.sort(key=lambda i: name_search.sort_key(i.name))
    return render_template(
        "admin/commitment.html",
        commitment=commitment,
        current=current,
        statuses=statuses,
        people=people,
        max_kib=invitees.MAX_CSV_BYTES // 1024,
        changes=invitee_edits.history(slug),
    )


@admin.get("/commitments/<slug>/versions/<row:version>")
@roles_required("admin")
def version_page(slug: str, version: int) -> str:
    """Admin: one version of a commitment: its exact text, SHA-256 and the actions it allows."""
    found = commitments.get_version(slug, version)
    latest = commitments.get_version(slug)
    signed = db.session.execute(
        select(func.count())
        .select_from(SignatureRecord)
        .where(SignatureRecord.commitment_version_id == found.id)
    ).scalar_one()
    history = commitments.status_history(slug, version) if found.status != "draft" else []
    return render_template(
        "admin/version.html", v=found, slug=slug, latest=latest, signed=signed, history=history
    )


@admin.route("/commitments/<slug>/versions/<row:version>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_version(slug: str, version: int) -> Page | Response:
    """Admin: edit a draft version (a published version cannot change)."""
    found = commitments.get_version(slug, version)
    if found.status != "draft":
        flash(_("Versi yang sudah diterbitkan tidak dapat diubah; buat versi baru."), "error")
        return redirect(url_for(".version_page", slug=slug, version=version), code=303)
    if request.method == "GET":
        return _form_page("edit", _values_of(found), {}, slug=slug, version=version)
    values = {k: request.form.get(k, "") for k in FORM_FIELDS}
    try:
        commitments.edit_draft(slug, version, _draft_from(request.form))
    except (InvalidInput, Conflict) as exc:
        return _form_page("edit", values, _error_dict(exc), 422, slug=slug, version=version)
    flash(_("Draf disimpan."), "info")
    return redirect(url_for(".version_page", slug=slug, version=version), code=303)


@admin.route("/commitments/<slug>/revise", methods=["GET", "POST"])
@roles_required("admin")
def revise_commitment(slug: str) -> Page | Response:
    """Admin: write a new version of a published commitment; earlier versions stay unchanged."""
    latest = commitments.get_version(slug)
    if request.method == "GET":
        if latest.status == "draft":
            return redirect(url_for(".edit_version", slug=slug, version=latest.version))
        return _form_page("revise", _values_of(latest), {}, slug=slug, version=latest.version + 1)
    values = {k: request.form.get(k, "") for k in FORM_FIELDS}
    try:
        created = commitments.revise(slug, _draft_from(request.form))
    except (InvalidInput, Conflict) as exc:
        return _form_page("revise", values, _error_dict(exc), 422, slug=slug, version=latest.version + 1)
    flash(_("Versi %(n)d dibuat sebagai draf.", n=created.version), "info")
    return redirect(url_for(".version_page", slug=slug, version=created.version), code=303)


# Publishing, closing and reopening (each behind a confirmation step): registry/web/admin_lifecycle.py


# --- invitees --------------------------------------------------------------------------------


@admin.post("/commitments/<slug>/invitees/import")
@roles_required("admin")
def import_invitees(slug: str) -> Page:
    """Admin: import invitees from a CSV file and show what was imported and what was rejected."""
    invitees.commitment(slug)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("admin/import_report.html", slug=slug, report=None), 400
    # Read one byte past the cap, so an oversized file is recognised without reading all of it.
    data = upload.stream.read(invitees.MAX_CSV_BYTES + 1)
    report = invitees.import_csv(slug, data)
    return render_template("admin/import_report.html", slug=slug, report=report), (
        422 if report.fatal else 200
    )


# --- progress --------------------------------------------------------------------------------


@admin.get("/commitments/<slug>/versions/<row:version>/progress")
@roles_required("admin", "auditor")
def progress_page(slug: str, version: int) -> str:
    """Admin and auditor: who signed a commitment version and who has not yet."""
    progress = invitees.progress(slug, version)
    return render_template(
        "admin/progress.html",
        p=progress,
        slug=slug,
        last=invitees.last_signed_at(progress.signed),
        is_admin=current_user.role == "admin",
    )


# --- withdrawal ------------------------------------------------------------------------------


def _signature_or_404(record_id: str) -> SignatureRecord:
    try:
        return signing.get(record_id)
    except NotFound:
        abort(404)


@admin.get("/signatures/<record_id>")
@roles_required("admin")
def signature_page(record_id: str) -> str:
    """Admin: one signature, with the form to withdraw it when it was made in error."""
    record = _signature_or_404(record_id)
    return render_template("admin/signature.html", r=record, s=sealed.check(record), errors={}, reason="")


@admin.post("/signatures/<record_id>/withdraw")
@roles_required("admin")
def withdraw_signature(record_id: str) -> Page | Response:
    """Admin: withdraw a signature made in error, with a public reason (nothing is deleted)."""
    record = _signature_or_404(record_id)
    reason = request.form.get("reason", "")
    try:
        if request.form.get("confirm") != "yes":
            # One click never withdraws: the form's required checkbox must be ticked.
            raise Unconfirmed(
                N_("tick the confirmation box to withdraw; nothing was changed"), field="confirm"
            )
        withdrawals.withdraw(record_id, reason, current_user.public_id)
    except (InvalidInput, Conflict, Unconfirmed) as exc:
        field = "confirm" if isinstance(exc, Unconfirmed) else "reason"
        page = render_template(
            "admin/signature.html",
            r=record,
            s=sealed.check(record),
            errors={field: localized(exc)},
            reason=reason,
        )
        return page, 400 if isinstance(exc, Unconfirmed) else 422
    flash(_("Tanda tangan ditarik."), "info")
    return redirect(url_for(".signature_page", record_id=record_id), code=303)
