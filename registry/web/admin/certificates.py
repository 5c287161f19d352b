"""Admins and auditors: the signed roll of a version (PDF) and every certificate as one ZIP archive.

The public list of signatories (``/c/<slug>``) is in registry/web/roll_views.py.
"""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context

from registry.core.errors import N_
from registry.services import bulk
from registry.services import roll as roll_service
from registry.services.errors import InvalidInput
from registry.web.admin import admin
from registry.web.auth import roles_required


@admin.get("/commitments/<slug>/v<row:version>/roll.pdf")
@roles_required("admin", "auditor")
def roll_pdf(slug: str, version: int) -> Response:
    """The signed roll of a commitment version (PDF; admins and auditors only)."""
    pdf = roll_service.roll_pdf(slug, version)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="ikrar-roll-{slug}-v{version}.pdf"'
    # It lists every signatory, public display or not: never kept by a shared cache.
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def _version_arg() -> int | None:
    raw = request.args.get("version")
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise InvalidInput(N_("version must be a positive integer"), field="version")
    return int(raw)


@admin.get("/commitments/<slug>/certificates")
@roles_required("admin", "auditor")
def certificates_page(slug: str) -> str:
    """Download every certificate of a commitment as one ZIP archive, with progress."""
    versions = bulk.version_counts(slug)
    return render_template(
        "certificates_bulk.html",
        slug=slug,
        title=versions[-1].title,
        versions=versions,
        total=sum(v.signatures for v in versions),
    )


@admin.get("/commitments/<slug>/certificates.zip")
@roles_required("admin", "auditor")
def certificates_zip(slug: str) -> Response:
    """Every certificate of a commitment (all versions, or ?version=N) as a streamed ZIP archive."""
    version = _version_arg()
    ids = bulk.record_ids(slug, version)
    bulk.check_all(ids)  # an integrity error page before the first byte, never a cut-off archive
    name = f"ikrar-{slug}" + (f"-v{version}" if version else "") + "-sertifikat.zip"
    response = Response(stream_with_context(bulk.archive(ids)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Ikrar-Entries"] = str(len(ids))
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response
