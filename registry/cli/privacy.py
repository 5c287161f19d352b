"""``ikrar privacy …``: data subjects' rights from the command line (UU 27/2022).

``ikrar privacy export`` answers an access or portability request (Pasal 7, 13, 32): the
signatory's own data as JSON, each signature re-checked. Check the requester's identity before
handing the file over; the file holds personal data, so it is written readable by its owner only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from flask import current_app

from registry.cli.erasure import erase_command, purge_command, retention_command
from registry.cli.support import AppGroup, check_subject, clear_errors, subject_options
from registry.services import privacy


def render(export: dict[str, Any]) -> str:
    """UTF-8 JSON, indented, keys sorted (the same data always gives the same text)."""
    return json.dumps(export, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _write_private(path: Path, text: str) -> None:
    # Created 0600 from the start, so the personal data is never readable by others even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


@click.group("privacy", cls=AppGroup)  # AppGroup: every command runs in the app context
def privacy_group() -> None:
    """Data subjects' rights under UU 27/2022: access, portability, erasure and retention."""


@privacy_group.command("export")
@subject_options("The signatory's name (case and accents' encoding ignored).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the JSON to this file (mode 0600) instead of standard output.",
)
@click.option(
    "--controller",
    metavar="NAME",
    help="The data controller named in the export (default: IKRAR_CONTROLLER_NAME, as on /privasi).",
)
@clear_errors
def export_command(
    record_id: str | None,
    code: str | None,
    signatory: str | None,
    commitment: str | None,
    output: Path | None,
    controller: str | None,
) -> None:
    """Export one data subject's data as JSON: by --record, --code or --signatory NAME."""
    check_subject(record_id, code, signatory, commitment)
    if controller is None:
        controller = current_app.config.get("IKRAR_CONTROLLER_NAME")
    export = privacy.export_subject(
        record_id=record_id,
        code=code,
        signatory=signatory,
        commitment=commitment,
        controller={"name": controller, "registry": current_app.config.get("IKRAR_BASE_URL")},
    )
    if controller is None:
        click.echo("warning: no controller named; set IKRAR_CONTROLLER_NAME or pass --controller", err=True)
    if export["ambiguous"]:
        click.echo(
            f"warning: the name matches {len(export['people'])} people; give each only their own part "
            "(UU 27/2022 Pasal 33):",
            err=True,
        )
        for person in export["people"]:
            click.echo(f"  - {person['name']} ({person['institution']})", err=True)
    for signature in export["signatures"]:
        if signature["status"] == "invalid":
            click.echo(
                f"warning: signature {signature['record_id']} does not verify: {signature['problem']}",
                err=True,
            )
    text = render(export)
    if output is None:
        click.echo(text, nl=False)
        return
    _write_private(output, text)
    click.echo(
        f"wrote {output}: {len(export['signatures'])} signature(s), "
        f"{len(export['invitees_without_signature'])} invitee row(s) without a signature",
        err=True,
    )


privacy_group.add_command(erase_command)
privacy_group.add_command(retention_command)
privacy_group.add_command(purge_command)
