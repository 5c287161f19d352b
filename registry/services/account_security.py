"""Changes to an account's access: its password, its role, its sessions. Each ends every session of
the account in the same transaction, so a stolen or stale cookie stops working at once."""

from __future__ import annotations

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from registry import security_log
from registry.core.errors import N_
from registry.db import utcnow, write_transaction
from registry.extensions import db
from registry.models import ROLES, User
from registry.services import checkpoints, log, passwords, sessions
from registry.services.accounts import by_username, hasher
from registry.services.errors import Conflict, InvalidInput, NotFound


def _user(username: str) -> User:
    user = by_username(username)
    if user is None:
        raise NotFound(N_("there is no user %(username).70r"), username=username)
    return user


def change_own_password(user_id: int, current: str, new: str, confirm: str) -> str:
    """A signed-in person changes their password: the current one is required (ASVS 6.2.3).

    Every session of the account ends, this browser's too; the returned id is a fresh session for
    this browser, so the person stays signed in here and only here.
    """
    if new != confirm:
        raise InvalidInput(N_("the two new passwords differ"), field="confirm")

    def work() -> str:
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound(N_("this account no longer exists or is disabled"))
        try:
            hasher().verify(user.password_hash, current or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise InvalidInput(N_("the current password is wrong"), field="current") from None
        if new == current:
            raise InvalidInput(N_("the new password is the same as the current one"), field="password")
        passwords.check(new, user.username)
        user.password_hash = hasher().hash(new)
        now = utcnow()
        sessions.revoke_all_of(user.id, now)
        return sessions.new_session(user, now)

    session_id = write_transaction(work)
    security_log.event("account.password_changed", by="self")
    return session_id


def reset_password(username: str, new: str) -> User:
    """An administrator sets an account's password (``ikrar users password``); all its sessions end."""
    user = _user(username)
    passwords.check(new, user.username)
    password_hash = hasher().hash(new)
    user_id = user.id

    def work() -> User:
        found = db.session.get(User, user_id)
        assert found is not None
        found.password_hash = password_hash
        sessions.revoke_all_of(found.id, utcnow())
        return found

    changed = write_transaction(work)
    security_log.event("account.password_changed", account=changed.username, by="admin")
    return changed


def set_role(username: str, role: str) -> User:
    """Change an account's role (``ikrar users role``); its sessions end, the log records the change."""
    if role not in ROLES:
        raise InvalidInput(N_("role must be one of %(roles)s"), field="role", roles=", ".join(ROLES))

    def work(writer: log.LogWriter) -> User:
        user = _user(username)
        if user.role == role:
            raise Conflict(N_("user %(username)s already has the role %(role)s"), username=user.username,
                           role=role)  # fmt: skip
        user.role = role
        sessions.revoke_all_of(user.id, writer.now())
        writer.append("user:role", {"user": user.public_id, "role": role})
        return user

    changed = log.append_transaction(checkpoints.sealer(), work)
    security_log.event("account.role_changed", account=changed.username, role=role)
    return changed


def end_sessions(username: str | None) -> int:
    """Sign an account out everywhere, or (``None``) every account (``ikrar users sign-out``);
    how many sessions were live."""

    def work() -> int:
        if username is None:
            return sessions.revoke_everyone(utcnow())
        return sessions.revoke_all_of(_user(username).id, utcnow())

    ended = write_transaction(work)
    security_log.event("account.sessions_ended", account=username or "*", sessions=ended)
    return ended
