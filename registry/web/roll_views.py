"""The signed roll (admins, auditors) and the public list of signatories (everyone)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, stream_with_context, url_for

from registry.services import bulk
from registry.services import roll as roll_service
from registry.services.errors import InvalidInput, NotFound
from registry.web.auth import roles_required

roll = Blueprint("roll", __name__)


@roll.get("/admin/commitments/<slug>/v<row:version>/roll.pdf")
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


@roll.get("/c/<slug>")
def public_list(slug: str) -> Response:
    """Public list of a commitment's signatories who consented to public display, with counts."""
    try:
        data = roll_service.public_list(slug)
    except NotFound:
        abort(404)
    top_category = max([c.count for c in data.by_category] + [1])
    top_dimension = max([c.count for c in data.by_dimension] + [1])
    response = Response(
        render_template(
            "public_list.html",
            data=data,
            version=data.version,
            api_url=url_for("api.get_commitment", slug=slug, version=data.version.version),
            top_category=top_category,
            top_dimension=top_dimension,
        )
    )
    # The page carries the language form's CSRF token (and, when signed in, the user's name):
    # no shared cache may keep it.
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


def _version_arg() -> int | None:
    raw = request.args.get("version")
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise InvalidInput("version must be a positive integer", field="version")
    return int(raw)


@roll.get("/admin/commitments/<slug>/certificates")
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


@roll.get("/admin/commitments/<slug>/certificates.zip")
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
