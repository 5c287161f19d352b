"""``ikrar users …`` and ``ikrar tokens …``: accounts and bearer credentials from the command line."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import current_app

from registry.cli.support import AppGroup, clear_errors
from registry.core.canonical import format_instant
from registry.core.errors import N_
from registry.models import ROLES
from registry.services import account_security, accounts, credentials, mfa, passwords
from registry.services.errors import NotFound

DEMO_ACCOUNTS = (("admin", "Admin Demo", "admin"), ("operator", "Operator Demo", "operator"),
                 ("auditor", "Auditor Demo", "auditor"))  # fmt: skip


def _clear(command: click.Command) -> click.Command:
    assert command.callback is not None
    command.callback = clear_errors(command.callback)
    return command


def generate_password(username: str | None = None) -> str:
    # 16 characters of base64url: 96 bits, easy to type from a printed sheet. The policy check
    # only ever refuses a vanishingly rare draw (say, one that contains the username).
    while True:
        password = secrets.token_urlsafe(12)
        if passwords.problem(password, username) is None:
            return password


def _new_password(password_stdin: bool, generate: bool, username: str) -> str:
    if password_stdin and generate:
        raise click.UsageError("choose one of --password-stdin and --generate")
    if generate:
        return generate_password(username)
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("users", cls=AppGroup)  # AppGroup: every command runs in the app context
def users_group() -> None:
    """Accounts: admins, operators, auditors."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", "display_name", help="Name shown in the interface (default: the username).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
@click.option("--generate", is_flag=True, help="Generate a strong password and print it once.")
def users_create(
    username: str, role: str, display_name: str | None, password_stdin: bool, generate: bool
) -> None:
    """Create an account (the first admin, operators, auditors); asks for the password by default."""
    password = _new_password(password_stdin, generate, username)
    user = accounts.create_user(username, display_name or username, role, password)
    click.echo(f"created {user.role} {user.username} ({user.public_id})")
    if generate:
        click.echo(f"password: {password}")


@users_group.command("list")
def users_list() -> None:
    """Every account with its role and state."""
    for user in accounts.list_users():
        state = "active" if user.active else "disabled"
        last = format_instant(user.last_login_at) if user.last_login_at else "never"
        click.echo(f"{user.public_id}  {user.role:<8}  {state:<8}  last login {last}  {user.username}")


@users_group.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable an account: its sessions end, it cannot sign in, its operator and auditor tokens stop."""
    user = accounts.set_active(username, False)
    click.echo(f"disabled {user.username}")


@users_group.command("password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the new password from the first line of standard input."
)
@click.option("--generate", is_flag=True, help="Generate a strong password and print it once.")
def users_password(username: str, password_stdin: bool, generate: bool) -> None:
    """Set an account's password (an admin resetting it); every session of the account ends."""
    password = _new_password(password_stdin, generate, username)
    user = account_security.reset_password(username, password)
    click.echo(f"password of {user.username} changed; its sessions have ended")
    if generate:
        click.echo(f"password: {password}")


@users_group.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def users_role(username: str, role: str) -> None:
    """Change an account's role; every session of the account ends (the log records the change)."""
    user = account_security.set_role(username, role)
    click.echo(f"{user.username} is now {user.role}; its sessions have ended")


@users_group.command("sign-out")
@click.argument("username", required=False)
@click.option("--all", "everyone", is_flag=True, help="End the sessions of every account.")
def users_sign_out(username: str | None, everyone: bool) -> None:
    """End every session of an account at once (a lost or shared device), or of all accounts."""
    if everyone == (username is not None):
        raise click.UsageError("give a USERNAME or --all")
    ended = account_security.end_sessions(None if everyone else username)
    click.echo(f"ended {ended} session(s) of {'every account' if everyone else username}")


@users_group.command("mfa-reset")
@click.argument("username")
def users_mfa_reset(username: str) -> None:
    """Forget an account's authenticator and recovery codes (a lost device): its sessions end and
    its next sign-in enrols a new device (the log records the reset)."""
    user = mfa.reset(username)
    click.echo(f"multi-factor authentication of {user.username} reset; its sessions have ended")


@users_group.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Enable a disabled account again."""
    user = accounts.set_active(username, True)
    click.echo(f"enabled {user.username}")


@click.group("tokens", cls=AppGroup)
def tokens_group() -> None:
    """Bearer tokens for devices, scripts and integrations."""


@tokens_group.command("create")
@click.option("--commitment", help="A device token locked to this commitment id.")
@click.option(
    "--operator", "operator_name", help="An operator token for this operator's or admin's username."
)
@click.option(
    "--auditor",
    "auditor_name",
    help="An auditor token (reads full signature documents, for 'ikrar audit --url --token-file') "
    "for this auditor's or admin's username.",
)
@click.option("--label", default="integration", show_default=True, help="What the token is for.")
def tokens_create(
    commitment: str | None, operator_name: str | None, auditor_name: str | None, label: str
) -> None:
    """Issue a token; it is printed once, alone on the last line (only its hash is stored)."""
    if sum(given is not None for given in (commitment, operator_name, auditor_name)) != 1:
        raise click.UsageError(
            "give exactly one of --commitment ID (device), --operator USERNAME or --auditor USERNAME"
        )
    if commitment is not None:
        issued = credentials.issue("device", label, commitment=commitment)
        click.echo(
            f"device credential {issued.credential.id} for {commitment}, label {issued.credential.label!r}"
        )
    else:
        kind = "operator" if operator_name is not None else "auditor"
        username = operator_name if operator_name is not None else auditor_name
        user = accounts.by_username(username or "")
        if user is None:
            raise NotFound(N_("there is no user %(username).70r"), username=username)
        issued = credentials.issue(kind, label, user=user)
        click.echo(f"{kind} credential {issued.credential.id} for {user.username}")
    click.echo("keep it secret; send it as 'Authorization: Bearer <token>':")
    click.echo(issued.token)


@tokens_group.command("list")
def tokens_list() -> None:
    """Every credential (never the secret)."""
    for credential in credentials.list_credentials():
        state = f"revoked {format_instant(credential.revoked_at)}" if credential.revoked_at else "live"
        scope = credential.commitment.slug if credential.commitment else "-"
        owner = credential.user.username if credential.user else "-"
        click.echo(f"{credential.id}  {credential.kind:<8}  {scope}  {owner}  {state}  {credential.label}")


@tokens_group.command("revoke")
@click.argument("credential_id")
def tokens_revoke(credential_id: str) -> None:
    """Revoke a credential at once."""
    credential = credentials.revoke(credential_id)
    click.echo(f"revoked {credential.id}")


for _command in (*users_group.commands.values(), *tokens_group.commands.values()):
    _clear(_command)


def demo_accounts() -> list[tuple[str, str, str]]:
    """Create the demo accounts on first run; (role, username, password) read back from the instance folder.

    The passwords are random per installation and kept in ``<instance>/demo-credentials`` (mode 0600),
    so a demo never runs with a published password; one section per database (demo_credentials.py).
    """
    return demo_accounts_created()[0]


def demo_accounts_created() -> tuple[list[tuple[str, str, str]], bool]:
    """:func:`demo_accounts` and whether they were created just now (their passwords are printed once)."""
    from registry import demo_credentials

    def create() -> list[tuple[str, str, str]]:
        rows = []
        for username, display_name, role in DEMO_ACCOUNTS:
            password = generate_password(username)
            accounts.create_user(username, display_name, role, password)
            rows.append((role, username, password))
        return rows

    return demo_credentials.for_this_database(Path(current_app.instance_path) / "demo-credentials", create)
