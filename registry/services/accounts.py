"""Accounts: creating users, checking passwords (argon2id), listing them."""

from __future__ import annotations

import base64
import functools
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import func, select

from registry import security_log
from registry.config import PRODUCTION_ARGON2, Argon2Cost
from registry.core.errors import N_
from registry.db import utcnow, write_transaction
from registry.extensions import db
from registry.models import ROLES, User
from registry.services import checkpoints, log, passwords, sessions
from registry.services.errors import Conflict, InvalidInput, NotFound
from registry.services.text import clean_text

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


@functools.cache
def _hasher_for(cost: Argon2Cost) -> PasswordHasher:
    return PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_cost, parallelism=cost.parallelism
    )


def _cost() -> Argon2Cost:
    # config.load sets IKRAR_ARGON2 to the production cost and refuses a lower one outside tests.
    cost: Argon2Cost = current_app.config.get("IKRAR_ARGON2", PRODUCTION_ARGON2)
    return cost


def hasher() -> PasswordHasher:
    """The application's argon2id hasher (config IKRAR_ARGON2)."""
    return _hasher_for(_cost())


@functools.cache
def _dummy_hash(cost: Argon2Cost) -> str:
    """Verified against when the username is unknown, so both paths cost the same time.
    Made on first use, not at import: every CLI command (the auditor's too) imports this module."""
    return _hasher_for(cost).hash(secrets.token_urlsafe(16))


def new_public_id(prefix: str) -> str:
    return prefix + base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def create_user(username: str, display_name: str, role: str, password: str) -> User:
    username = (username or "").strip().lower()
    if not USERNAME.fullmatch(username):
        raise InvalidInput(N_("username: 3–64 lowercase letters, digits, '.', '_' or '-'"), field="username")
    if role not in ROLES:
        raise InvalidInput(N_("role must be one of %(roles)s"), field="role", roles=", ".join(ROLES))
    display_name = clean_text(display_name, "display name", max_length=200)
    passwords.check(password, username)
    password_hash = hasher().hash(password)

    def work(writer: log.LogWriter) -> User:
        if db.session.execute(select(User.id).where(User.username == username)).first():
            raise Conflict(N_("user %(username)r already exists"), field="username", username=username)
        user = User(
            public_id=new_public_id("usr_"),
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            active=True,
            created_at=writer.now(),
        )
        db.session.add(user)
        writer.append("user:create", {"user": user.public_id, "role": role})
        return user

    return log.append_transaction(checkpoints.sealer(), work)


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same cost either way)."""
    username = (username or "").strip().lower()
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    hashing = hasher()
    try:
        hashing.verify(user.password_hash if user else _dummy_hash(_cost()), password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    user_id = user.id

    def record_login() -> User:
        found = db.session.get(User, user_id)
        assert found is not None
        found.last_login_at = utcnow()
        if hashing.check_needs_rehash(found.password_hash):
            found.password_hash = hashing.hash(password)
        return found

    return write_transaction(record_login)


def by_username(username: str) -> User | None:
    return db.session.execute(
        select(User).where(User.username == username.strip().lower())
    ).scalar_one_or_none()


def set_active(username: str, active: bool) -> User:
    """Disable or re-enable an account; a disabled account's sessions and tokens stop working at once."""

    def work(writer: log.LogWriter) -> User:
        user = by_username(username)
        if user is None:
            raise NotFound(N_("there is no user %(username).70r"), username=username)
        if user.active == active:
            raise Conflict(
                N_("user %(username)s is already enabled")
                if active
                else N_("user %(username)s is already disabled"),
                username=user.username,
            )
        user.active = active
        if not active:
            sessions.revoke_all_of(user.id, writer.now())
        writer.append("user:enable" if active else "user:disable", {"user": user.public_id})
        return user

    changed = log.append_transaction(checkpoints.sealer(), work)
    security_log.event("account.enabled" if active else "account.disabled", account=changed.username)
    return changed


def by_public_id(public_id: str) -> User | None:
    return db.session.execute(select(User).where(User.public_id == public_id)).scalar_one_or_none()


def count_users() -> int:
    return int(db.session.execute(select(func.count()).select_from(User)).scalar_one())


def list_users() -> list[User]:
    return list(db.session.execute(select(User).order_by(User.username)).scalars())
