"""``ikrar privacy erase | retention | purge``: erasure and retention (UU 27/2022 Pasal 8, 16, 43).

Erasure is irreversible: without ``--yes`` the commands only say what they would erase. They are
made by an AppGroup of their own (which runs them in the application context) and added to the
``privacy`` group with ``add_command``, so that this module does not import that group.
"""

from __future__ import annotations

import getpass
from datetime import date

import click

from registry.cli.support import AppGroup, check_subject, clear_errors, subject_options
from registry.models import ERASURE_GROUNDS, Invitee, SignatureRecord
from registry.services import erasure, privacy

_commands = AppGroup("erasure")

_ACTOR = click.option(
    "--actor",
    default=lambda: f"cli:{getpass.getuser()}",
    show_default="cli:<user>",
    help="Who erases (kept, not logged).",
)


def _people(rows: list[SignatureRecord], invitees: list[Invitee]) -> list[str]:
    """The distinct persons (name, institution) a selection holds, ignoring case."""
    seen: dict[tuple[str, str], str] = {}
    for name, institution in [(r.name, r.institution) for r in rows if r.erasure is None] + [
        (i.name, i.institution) for i in invitees
    ]:
        seen.setdefault((privacy.name_key(name), privacy.name_key(institution)), f"{name} ({institution})")
    return list(seen.values())


@_commands.command("erase")
@subject_options("The signatory's name: every signature and invitee row of theirs.")
@click.option(
    "--ground",
    type=click.Choice(ERASURE_GROUNDS),
    default="request",
    show_default=True,
    help="request: the data subject asked; retention: the retention period ended.",
)
@click.option("--yes", is_flag=True, help="Erase (irreversible). Without it, only show what would be erased.")
@_ACTOR
@clear_errors
def erase_command(
    record_id: str | None,
    code: str | None,
    signatory: str | None,
    commitment: str | None,
    ground: str,
    yes: bool,
    actor: str,
) -> None:
    """Erase a signatory's personal data; the log keeps that each signature was made."""
    check_subject(record_id, code, signatory, commitment)
    rows, invitees = privacy.select_subject(
        record_id=record_id, code=code, signatory=signatory, commitment=commitment
    )
    people = _people(rows, invitees)
    if len(people) > 1:
        listed = "; ".join(people)
        raise click.ClickException(
            f"the name matches {len(people)} people ({listed}): erase each by --record or --code, "
            "or narrow with --commitment, so nobody else's data is erased"
        )
    for row in rows:
        state = "already erased" if row.erasure is not None else "will be erased"
        click.echo(f"signature {row.id} (log index {row.log_index}): {state}")
    for invitee in invitees:
        click.echo(f"invitee row {invitee.id} (not signed): will be deleted")
    if not yes:
        click.echo("Nothing was erased: run again with --yes to erase (irreversible).", err=True)
        raise SystemExit(2)
    report = erasure.erase(
        [r.id for r in rows], ground=ground, actor=actor, invitee_ids=[i.id for i in invitees]
    )
    erasure.vacuum()
    for rid, index in report.erased.items():
        click.echo(f"erased signature {rid}: signature:erase entry at log index {index}")
    click.echo(
        f"erased {len(report.erased)} signature(s), deleted {report.invitees_deleted} invitee row(s)"
        + (f", {len(report.already_erased)} already erased" if report.already_erased else "")
    )


@_commands.command("retention")
@click.argument("slug")
@click.option(
    "--until",
    "until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day (YYYY-MM-DD) the data are kept.",
)
@click.option("--clear", is_flag=True, help="No retention end decided (nothing is purged).")
@_ACTOR
@clear_errors
def retention_command(slug: str, until: object, clear: bool, actor: str) -> None:
    """Show or set how long a commitment's signatories' personal data are kept."""
    if until is not None and clear:
        raise click.UsageError("give --until or --clear, not both")
    if until is None and not clear:
        current = privacy.retention_of(slug)
        click.echo(
            f"{slug}: kept until {current.isoformat()}" if current else f"{slug}: no retention end set"
        )
        return
    day: date | None = None if clear else until.date()  # type: ignore[attr-defined]
    erasure.set_retention(slug, day, actor)
    click.echo(f"{slug}: kept until {day.isoformat()}" if day else f"{slug}: no retention end set")


@_commands.command("purge")
@click.option(
    "--due", "due_only", is_flag=True, required=True, help="Erase what is past its retention period."
)
@click.option("--dry-run", is_flag=True, help="Only list what is due.")
@_ACTOR
@clear_errors
def purge_command(due_only: bool, dry_run: bool, actor: str) -> None:
    """Erase the personal data of every commitment whose retention period has ended (run daily)."""
    items = erasure.due()
    if not items:
        click.echo("nothing is due")
        return
    for item in items:
        click.echo(
            f"{item.slug}: kept until {item.retain_until.isoformat()}; "
            f"{len(item.record_ids)} signature(s) and {len(item.invitee_ids)} invitee row(s) due"
        )
    if dry_run:
        return
    for item, report in erasure.purge_due(actor):
        click.echo(
            f"{item.slug}: erased {len(report.erased)} signature(s), "
            f"deleted {report.invitees_deleted} invitee row(s)"
        )
    erasure.vacuum()
