"""``ikrar verify``: check a certificate PDF, a QR URL or a code; the exit status is the verdict."""

from __future__ import annotations

import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import click

from registry.audit_client import FetchError, Registry, load_json_file
from registry.core import codes
from registry.core.canonical import sha256_hex
from registry.core.errors import FormatError, IkrarError
from registry.core.keys import KeyRing
from registry.core.records import verify_record
from registry.offline_verify import EXIT_CODES, Verdict, apply_status, load_status, verify_pdf, verify_qr

LABELS = {
    "valid": "SAH / VALID",
    "withdrawn": "DITARIK / WITHDRAWN",
    "invalid": "TIDAK SAH / INVALID (altered or malformed)",
    "altered": "DIUBAH / ALTERED (the document structure or printed text differs from the sealed record)",
    "unchecked": "TEKS TIDAK DIPERIKSA / UNCHECKED (seal valid; the page has no text to compare)",
    "unknown": "TIDAK DIKENAL / UNKNOWN (key or record not known)",
}


def _echo_printed(verdict: Verdict) -> None:
    """What the printed-text check compared: never a field as checked that was not."""
    printed = verdict.printed
    if printed is None:
        return
    click.echo("  printed text:")
    if printed.status == "unreadable":
        click.echo(f"    not checked: {printed.reason}")
        return
    same = [f for f in printed.checked if f not in printed.differing]
    if "structure" in printed.differing:
        click.echo(f"    document structure is not a certificate's, its text was not read: {printed.reason}")
        return
    if printed.differing:
        click.echo(f"    DIFFERS from the sealed record: {', '.join(printed.differing)}")
    if same:
        click.echo(f"    as sealed: {', '.join(same)}")
    if printed.not_checked:
        click.echo(f"    not checked (not known offline): {', '.join(printed.not_checked)}")


def _keyring(jwks_file: str | None, url: str | None) -> KeyRing:
    if jwks_file:
        return KeyRing.from_jwks(load_json_file(jwks_file))
    if url:
        return KeyRing.from_jwks(Registry(url).json("/.well-known/jwks.json"))
    # Neither pinned nor fetched: the key ring of the registry this machine is configured for.
    from registry.app import create_app
    from registry.services import keyring

    app = create_app(startup_checks=False)
    with app.app_context():
        return keyring.keyring()


def _fetch_status(url: str, code: str) -> dict[str, Any]:
    target = f"{url.rstrip('/')}/api/v1/verify/{urllib.parse.quote(code, safe='')}"
    try:
        with urllib.request.urlopen(target, timeout=30) as response:  # noqa: S310 - http(s) checked by Registry
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise FetchError(f"GET {target} answered {exc.code}") from exc
        body = exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(f"cannot reach {target}: {exc}") from exc
    return load_status(body.decode("utf-8", "replace"))


def _verify_code(code_text: str, url: str, ring: KeyRing) -> Verdict:
    Registry(url)  # checks the address
    code = codes.normalise_code(code_text)
    status = _fetch_status(url, code)
    if status["status"] == "unknown":
        return Verdict("unknown", [f"the registry at {url} does not know code {code}"])
    # The code is the signer's capability: with it the registry hands out the full record.
    document = Registry(url).signature(str(status["id"]), code=code)
    from registry.core.canonical import canonical_bytes

    if not isinstance(document.get("record"), dict):
        return Verdict("invalid", [f"the registry at {url} served no record for code {code}"])
    body = canonical_bytes(document["record"])
    try:
        signed, key = verify_record(body, str(document["signature"]), ring)
    except IkrarError as exc:
        return Verdict("invalid", [f"the registry's record does not verify: {exc}"])
    verdict = Verdict("valid", [f"record signature verifies with key {key.kid}"], {"code": code})
    return apply_status(verdict, code, sha256_hex(signed.canonical), status)


@click.command("verify")
@click.argument("pdf", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--qr", "qr_text", metavar="URL", help="The text of a certificate's QR code (…/v/CODE#statement)."
)
@click.option("--code", "code_text", metavar="CODE", help="A verification code as printed (needs --url).")
@click.option("--url", help="Base address of the registry, e.g. https://ikrar.example.go.id")
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Pinned JWKS file (/.well-known/jwks.json saved earlier). Without it: fetched from --url, "
    "else the local registry's key ring.",
)
@click.option(
    "--status",
    "status_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A saved GET /api/v1/verify/<code> response: tells a withdrawal offline.",
)
def verify_command(
    pdf: str | None,
    qr_text: str | None,
    code_text: str | None,
    url: str | None,
    jwks_file: str | None,
    status_file: str | None,
) -> None:
    """Verify a certificate PDF, a QR URL, or a code against a registry.

    \b
    ikrar verify CERT.pdf --jwks jwks.json [--status status.json]   (no database, no network)
    ikrar verify --qr 'https://…/v/CODE#…' --jwks jwks.json          (no database, no network)
    ikrar verify --code ABCD-EFGH-JKM --url https://ikrar.example.go.id

    For a PDF, the page's printed text (name, position, institution, code, time, …) is also
    compared with the sealed record: ALTERED names the fields that differ; a page without a text
    layer (a scan) is UNCHECKED. With --status the commitment title is checked too.

    \b
    Exit status: 0 valid, 3 withdrawn, 4 invalid or altered, 5 unknown key or record,
    6 seal valid but printed text unchecked, 2 usage error or unreachable registry.
    """
    if sum(x is not None for x in (pdf, qr_text, code_text)) != 1:
        raise click.UsageError("give exactly one of FILE.pdf, --qr URL or --code CODE")
    if code_text is not None and not url:
        raise click.UsageError("--code needs --url")
    try:
        ring = _keyring(jwks_file, url)
        status = load_status(Path(status_file).read_text("utf-8")) if status_file else None
        if pdf is not None:
            verdict = verify_pdf(Path(pdf).read_bytes(), ring, status)
        elif qr_text is not None:
            verdict = verify_qr(qr_text, ring, status)
        else:
            assert code_text is not None and url is not None
            verdict = _verify_code(code_text, url, ring)
    except (IkrarError, FormatError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(LABELS[verdict.status])
    for key, value in verdict.fields.items():
        click.echo(f"  {key}: {value}")
    _echo_printed(verdict)
    for reason in verdict.reasons:
        click.echo(f"  - {reason}")
    sys.exit(EXIT_CODES[verdict.status])
