"""Server-side staff sessions: start one at sign-in, check it on each request, end one or all.

The browser's signed session cookie carries a random session id (256 bits); the database keeps
only its SHA-256, with the account, the instants it was made and last used, when it expires and
when it was revoked. A request is signed in only while that row is live, so logout, a password
change, disabling an account or changing its role end the session on every server at once,
whatever copies of the cookie exist (OWASP ASVS 5.0 §7.4).

Limits: 12 hours from sign-in (absolute, §7.3.2) and 30 minutes without a request (idle, §7.3.1).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from registry.core.errors import N_
from registry.db import utcnow, write_transaction
from registry.extensions import db
from registry.models import StaffSession, User
from registry.services.errors import NotFound

ABSOLUTE = timedelta(hours=12)
IDLE = timedelta(minutes=30)
# last_seen_at is written at most this often, so a busy page costs no write per request; the
# idle limit is thereby exact to within this much.
TOUCH_EVERY = timedelta(seconds=60)
# Rows ended longer ago than this are deleted when their account next signs in.
KEEP_ENDED = timedelta(days=7)


class State(enum.Enum):
    LIVE = "live"
    EXPIRED = "expired"  # past the idle or absolute limit: the person is told to sign in again
    ENDED = "ended"  # revoked, unknown, or the account is disabled


@dataclass(frozen=True)
class Check:
    state: State
    user: User | None = None


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def new_session(user: User, now: datetime) -> str:
    """Add a session row for ``user`` to the current transaction; the caller commits. Returns the id."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(
        StaffSession(
            id_sha256=digest(session_id),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE,
        )
    )
    return session_id


def revoke_all_of(user_id: int, now: datetime) -> int:
    """Revoke every live session of an account in the current transaction; the caller commits."""
    result = db.session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_everyone(now: datetime) -> int:
    """Revoke every live session of every account in the current transaction; the caller commits."""
    result = db.session.execute(
        update(StaffSession).where(StaffSession.revoked_at.is_(None)).values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def start(user_id: int, previous: str | None = None) -> str:
    """Sign-in: a fresh session for the account (never the id the browser came with); the previous
    session of this browser, if any, is revoked. Returns the new id for the cookie."""

    def work() -> str:
        now = utcnow()
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound(N_("this account no longer exists or is disabled"))
        if previous:
            db.session.execute(
                update(StaffSession)
                .where(StaffSession.id_sha256 == digest(previous), StaffSession.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        db.session.execute(
            delete(StaffSession).where(
                StaffSession.user_id == user_id, StaffSession.expires_at < now - KEEP_ENDED
            )
        )
        return new_session(user, now)

    return write_transaction(work)


def check(session_id: object, public_id: object) -> Check:
    """Whether the session named by the cookie is live for this account; touches last_seen_at."""
    if not isinstance(session_id, str) or not isinstance(public_id, str) or len(session_id) > 128:
        return Check(State.ENDED)
    key = digest(session_id)
    row = db.session.execute(select(StaffSession).where(StaffSession.id_sha256 == key)).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return Check(State.ENDED)
    user = row.user
    if user.public_id != public_id or not user.active:
        return Check(State.ENDED)
    now = utcnow()
    if now >= row.expires_at or now - row.last_seen_at > IDLE:
        end(session_id)
        return Check(State.EXPIRED)
    if now - row.last_seen_at >= TOUCH_EVERY:
        user_id = user.id

        def touch() -> None:
            db.session.execute(
                update(StaffSession)
                .where(StaffSession.id_sha256 == key, StaffSession.revoked_at.is_(None))
                .values(last_seen_at=now)
            )

        write_transaction(touch)
        reloaded = db.session.get(User, user_id)
        assert reloaded is not None
        return Check(State.LIVE, reloaded)
    return Check(State.LIVE, user)


def end(session_id: object) -> None:
    """Logout (or expiry): revoke this one session."""
    if not isinstance(session_id, str):
        return

    def work() -> None:
        db.session.execute(
            update(StaffSession)
            .where(StaffSession.id_sha256 == digest(session_id), StaffSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )

    write_transaction(work)


def live_count(user_id: int) -> int:
    """How many live (not revoked, not past the absolute limit) sessions an account has."""
    now = utcnow()
    rows = db.session.execute(
        select(StaffSession.id_sha256).where(
            StaffSession.user_id == user_id,
            StaffSession.revoked_at.is_(None),
            StaffSession.expires_at > now,
        )
    ).all()
    return len(rows)
