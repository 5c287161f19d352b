"""Error pages for people: Indonesian 403/404/405/500 in the site's style (API callers get problem+json).

registry/http_problems.py decides who is who (``wants_json``) and calls ``page`` for the others.
"""

from __future__ import annotations

from flask import Response, current_app, render_template
from flask_babel import gettext as _

HANDLED = (403, 404, 405, 500)


def _texts(status: int) -> tuple[str, str]:
    """The page's title and message in the reader's language (Indonesian in the source)."""
    if status == 403:
        return _("Akses ditolak"), _(
            "Halaman ini tidak terbuka untuk akun Anda. Masuklah dengan akun yang berwenang, "
            "atau minta bantuan pengelola registri."
        )
    if status == 404:
        return _("Halaman tidak ditemukan"), _(
            "Alamat ini tidak ada di registri Ikrar. Periksa kembali alamatnya; untuk memeriksa "
            "sertifikat, ketik kode verifikasinya di halaman utama."
        )
    if status == 405:
        return _("Cara akses tidak didukung"), _(
            "Alamat ini ada, tetapi tidak dapat dibuka dengan cara ini (metode HTTP)."
        )
    return _("Terjadi kesalahan di server"), _(
        "Maaf, registri tidak dapat menjawab permintaan ini. Kesalahan ini telah dicatat; "
        "coba lagi beberapa saat lagi."
    )


# A page that cannot even render its template (the database or templates gone) still says something.
BARE_500 = (
    '<!doctype html><html lang="id"><meta charset="utf-8"><title>500 — Ikrar</title>'
    "<h1>Terjadi kesalahan di server</h1>"
    "<p>Kesalahan ini telah dicatat; coba lagi beberapa saat lagi.</p></html>"
)


def handles(status: int) -> bool:
    return status in HANDLED


def page(status: int) -> Response:
    """The styled page of ``status`` (one of HANDLED), marked not to be cached."""
    try:
        title, message = _texts(status)
        html = render_template("errors/error.html", status=status, title=title, message=message)
    except Exception:
        if status != 500:
            raise
        current_app.logger.exception("the 500 page could not be rendered")
        html = BARE_500
    response = Response(html, status=status, mimetype="text/html")
    response.cache_control.no_store = True
    return response
