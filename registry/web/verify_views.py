"""Public verification for people: the home page's code form (``/v/``), the QR target page and
verify-by-upload.

The JSON twin of the page and the certificate PDFs are API routes (registry/api/verify.py,
registry/api/signatures.py).
"""

from __future__ import annotations

import base64

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.file import FileField

from registry.core import codes
from registry.core.canonical import format_instant, parse_canonical
from registry.core.errors import FormatError
from registry.core.strokes import svg_document
from registry.extensions import limiter
from registry.services import verification
from registry.web import public
from registry.web.dates import long_wib as format_wib
from registry.web.forms import PostedForm

verify = Blueprint("verify", __name__)
MAX_UPLOAD_BYTES = 512 * 1024  # a certificate is ~60 KB; the global body limit is larger


class CertificateUploadForm(PostedForm):
    """A certificate PDF to verify (its size and first bytes are checked before it is read)."""

    certificate = FileField("certificate")


def verify_limit() -> str:
    """Shared (scope ``verify``) with the JSON twin GET /api/v1/verify/{code} (registry/api/verify.py)."""
    return str(current_app.config.get("IKRAR_VERIFY_LIMIT", "60 per minute"))


def _noindex(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@verify.get("/v/")
def code_form() -> Response:
    """The home page's form lands here: ``?code=abcd efgh-jkm`` goes to ``/v/ABCDEFGHJKM``.

    With no code it is the home page's address; a code that cannot be one (wrong length, a letter
    outside the alphabet, a wrong check symbol) is answered on the home page, with the field kept.
    """
    typed = (request.args.get("code") or "").strip()
    if not typed:
        return redirect(url_for("public.home"), code=303)  # type: ignore[return-value]
    try:
        code = codes.normalise_code(typed)
    except FormatError as exc:
        if "check symbol" in str(exc):
            message = _(
                "Kode itu salah ketik: simbol terakhirnya (simbol periksa) tidak cocok. Periksa kembali kode."
            )
        else:
            message = _("Kode verifikasi terdiri atas 11 huruf dan angka, misalnya ABCD-EFGH-JKM.")
        return public.home_page(typed[:40], message, 400)
    return redirect(url_for("verify.verify_page", code=code), code=303)  # type: ignore[return-value]


@verify.get("/v/<code>")
@limiter.shared_limit(verify_limit, scope="verify")
def verify_page(code: str) -> Response:
    """Verify page: the verdict and the allow-listed fields of a signature (the QR target)."""
    row = verification.find(code)
    document = verification.status_document(row, code)
    signature_image = None
    signed_wib = withdrawn_wib = erased_wib = None
    if row is not None and document["status"] != "invalid":
        signed_wib = format_wib(document["signed_at"])
        if document["withdrawal"]:
            withdrawn_wib = format_wib(document["withdrawal"]["at"])
        if document.get("erasure"):
            erased_wib = format_wib(document["erasure"]["at"])
        if document["public_display"]:
            svg = svg_document(parse_canonical(bytes(row.strokes)))
            signature_image = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    # The issuer of the version the record is sealed under (already checked against the log).
    version = row.commitment_version if row is not None and document["status"] != "invalid" else None
    commitment_url = (
        url_for(
            "public.version_page",
            slug=document["commitment"]["id"],
            version=document["commitment"]["version"],
        )
        if row is not None and document["status"] != "invalid"
        else None
    )
    html = render_template(
        "verify/page.html",
        doc=document,
        signed_wib=signed_wib,
        withdrawn_wib=withdrawn_wib,
        erased_wib=erased_wib,
        signature_image=signature_image,
        commitment_url=commitment_url,
        issuer=version.issuer if version is not None else None,
        emblem_sha256=version.emblem_sha256 if version is not None else None,
        code=code[:40],
    )
    response = Response(html, status=200 if row is not None else 404, mimetype="text/html")
    response.cache_control.no_store = True
    return _noindex(response)


@verify.route("/verify/upload", methods=["GET", "POST"])
@limiter.shared_limit(verify_limit, scope="verify", methods=["POST"])
def verify_upload() -> Response:
    """Verify a certificate PDF by uploading it: valid, withdrawn, altered or not ours."""
    result = None
    error = None
    form = CertificateUploadForm()
    if form.is_submitted():
        upload = form.certificate.data
        if upload is None or not upload.filename:
            error = _("Pilih berkas PDF sertifikat.")
        else:
            cap = int(current_app.config.get("IKRAR_UPLOAD_MAX_BYTES", MAX_UPLOAD_BYTES))
            data = upload.stream.read(cap + 1)
            if len(data) > cap:
                error = _("Berkas terlalu besar (maksimal %(kb)s KB).", kb=cap // 1024)
            elif not data.startswith(b"%PDF-"):
                error = _("Berkas ini bukan PDF.")
            else:
                result = verification.check_upload(data)
    html = render_template(
        "verify/upload.html",
        result=result,
        error=error,
        withdrawn_wib=format_wib(format_instant(result.row.withdrawal.withdrawn_at))
        if result is not None and result.row is not None and result.row.withdrawal is not None
        else None,
        erased_wib=format_wib(format_instant(result.row.erasure.erased_at))
        if result is not None and result.row is not None and result.row.erasure is not None
        else None,
    )
    status = 400 if error else 200
    return _noindex(Response(html, status=status, mimetype="text/html"))
