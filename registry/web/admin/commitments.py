"""Admin: the list of commitments, a commitment's page, and writing, editing and revising versions.

Publishing, closing and reopening (each behind a confirmation step) are in lifecycle.py.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from registry.http_problems import localized
from registry.models import CommitmentVersion
from registry.services import commitments, invitee_edits, invitees
from registry.services.errors import Conflict, InvalidInput, ServiceError
from registry.web.admin import Page, admin
from registry.web.admin.forms import COMMITMENT_FIELDS, CommitmentForm
from registry.web.auth import roles_required


@admin.get("/commitments", endpoint="commitments")  # the login page sends admins here
@roles_required("admin")
def commitments_page() -> str:
    """Admin: the list of commitments and their latest versions."""
    return render_template("admin/commitments.html", versions=commitments.list_latest())


def _field_of(error: ServiceError) -> str:
    """The form field a service error is about (the services name fields in words)."""
    name = (error.field or "").replace(" ", "_")
    for candidate in COMMITMENT_FIELDS:
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


def _refused(mode: str, form: CommitmentForm, exc: ServiceError, **extra: Any) -> Page:
    """The form again with what was typed and the one field at fault (422)."""
    return _form_page(mode, form.values(), {_field_of(exc): localized(exc)}, 422, **extra)


def _to_version(slug: str, version: int) -> Response:
    return redirect(url_for(".version_page", slug=slug, version=version), code=303)


@admin.route("/commitments/new", methods=["GET", "POST"])
@roles_required("admin")
def create_commitment() -> Page | Response:
    """Admin: write a new commitment (a draft, version 1)."""
    if request.method == "GET":
        return _form_page("create", {}, {})
    form = CommitmentForm()
    try:
        version = commitments.create(form.posted("slug").strip(), form.draft())
    except (InvalidInput, Conflict) as exc:
        return _refused("create", form, exc)
    flash(_("Draf komitmen dibuat."), "info")
    return _to_version(version.commitment.slug, version.version)


@admin.get("/commitments/<slug>")
@roles_required("admin")
def commitment_page(slug: str) -> str:
    """Admin: a commitment's versions and its invitees (signed or not)."""
    commitment = invitees.commitment(slug)
    published = [v for v in commitment.versions if v.status != "draft"]
    current = published[-1] if published else None
    statuses = invitees.progress(slug, current.version).invited if current else None
    return render_template(
        "admin/commitment.html",
        commitment=commitment,
        current=current,
        statuses=statuses,
        people=invitees.listed(commitment),
        max_kib=invitees.MAX_CSV_BYTES // 1024,
        changes=invitee_edits.history(slug),
    )


@admin.get("/commitments/<slug>/versions/<row:version>")
@roles_required("admin")
def version_page(slug: str, version: int) -> str:
    """Admin: one version of a commitment: its exact text, SHA-256 and the actions it allows."""
    found = commitments.get_version(slug, version)
    latest = commitments.get_version(slug)
    signed = commitments.signature_count(found)
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
        return _to_version(slug, version)
    if request.method == "GET":
        return _form_page("edit", _values_of(found), {}, slug=slug, version=version)
    form = CommitmentForm()
    try:
        commitments.edit_draft(slug, version, form.draft())
    except (InvalidInput, Conflict) as exc:
        return _refused("edit", form, exc, slug=slug, version=version)
    flash(_("Draf disimpan."), "info")
    return _to_version(slug, version)


@admin.route("/commitments/<slug>/revise", methods=["GET", "POST"])
@roles_required("admin")
def revise_commitment(slug: str) -> Page | Response:
    """Admin: write a new version of a published commitment; earlier versions stay unchanged."""
    latest = commitments.get_version(slug)
    if request.method == "GET":
        if latest.status == "draft":
            return redirect(url_for(".edit_version", slug=slug, version=latest.version))
        return _form_page("revise", _values_of(latest), {}, slug=slug, version=latest.version + 1)
    form = CommitmentForm()
    try:
        created = commitments.revise(slug, form.draft())
    except (InvalidInput, Conflict) as exc:
        return _refused("revise", form, exc, slug=slug, version=latest.version + 1)
    flash(_("Versi %(n)d dibuat sebagai draf.", n=created.version), "info")
    return _to_version(slug, created.version)
