"""The certificate checker's reasons (English, shared with the CLI) in the reader's language.

registry/offline_verify.py and registry/services/verification.py word their reasons for ``ikrar
verify``; the upload page shows the same reasons, translated here by their fixed wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask_babel import gettext as _

_REASONS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"record signature verifies with key (?P<kid>\S+)"),
        lambda m: _("Tanda tangan digital rekaman sah, diperiksa dengan kunci %(kid)s", kid=m["kid"]),
    ),
    (
        re.compile(r"the file is byte for byte the certificate the registry issues for this record"),
        lambda m: _(
            "Berkas ini sama persis, byte demi byte, dengan sertifikat yang diterbitkan registri "
            "untuk rekaman ini"
        ),
    ),
    (
        re.compile(r"the registry holds no record with this id or code"),
        lambda m: _("Registri tidak menyimpan rekaman dengan ID atau kode ini"),
    ),
    (
        re.compile(r"the record differs from the registry's"),
        lambda m: _("Rekaman di dalam berkas berbeda dari rekaman registri"),
    ),
    (
        re.compile(r"the printed text could not be checked \((?P<why>.*)\)"),
        lambda m: _("Teks yang tercetak tidak dapat diperiksa (%(why)s)", why=m["why"]),
    ),
    (
        re.compile(r"the printed text differs from the sealed record: (?P<fields>.*)"),
        lambda m: _("Teks yang tercetak berbeda dari rekaman yang disegel: %(fields)s", fields=m["fields"]),
    ),
    (
        re.compile(r"signed with key (?P<kid>\S+), which is not in the pinned key ring"),
        lambda m: _("Disegel dengan kunci %(kid)s, yang bukan kunci registri ini", kid=m["kid"]),
    ),
    (
        re.compile(r"the registry erased its personal data at log index (?P<n>\d+)"),
        lambda m: _("Registri menghapus data pribadinya pada indeks log %(n)s", n=m["n"]),
    ),
    (
        re.compile(r"the record hashes to the record_sha256 its signature:create entry committed to"),
        lambda m: _("Hash rekaman sama dengan record_sha256 yang dicatat log saat penandatanganan"),
    ),
]


def reason_text(reason: str) -> str:
    """``reason`` translated when its wording is known; otherwise as the checker wrote it."""
    for pattern, translated in _REASONS:
        match = pattern.fullmatch(reason)
        if match:
            return translated(match)
    return reason


def register(app: Flask) -> None:
    app.add_template_filter(reason_text, "reason_text")
