"""The registry's tables: commitments and their versions, invitees, signature records, keys, the log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from registry.core.names import name_key
from registry.db import UTCDateTime, utcnow
from registry.extensions import db

COMMITMENT_STATUSES = ("draft", "open", "closed")


class Commitment(db.Model):  # type: ignore[name-defined,misc]
    """A commitment, identified by a stable slug; its text lives in numbered versions."""

    __tablename__ = "commitment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The signatories' personal data is kept until this day (inclusive), then erased by
    # `ikrar privacy purge --due`; None: not yet decided (nothing is purged).
    retain_until: Mapped[date | None] = mapped_column(Date)

    versions: Mapped[list[CommitmentVersion]] = relationship(
        back_populates="commitment", order_by="CommitmentVersion.version"
    )


class CommitmentVersion(db.Model):  # type: ignore[name-defined,misc]
    """One exact text of a commitment. Once out of draft it never changes; edits make a new version."""

    __tablename__ = "commitment_version"
    __table_args__ = (
        UniqueConstraint("commitment_id", "version"),
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="ck_commitment_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(300))
    event_date: Mapped[date] = mapped_column(Date)
    # Both lists are data of the commitment: [{"id": "smart-governance", "label": "..."}].
    dimensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    categories: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    consent_text: Mapped[str] = mapped_column(Text)
    consent_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Printed above the title (e.g. "PEMERINTAH KABUPATEN PURBALINGGA") and the emblem beside it:
    # both in the version document the log binds (docs/FORMATS.md §4); None when not set.
    issuer: Mapped[str | None] = mapped_column(String(200))
    emblem_sha256: Mapped[str | None] = mapped_column(String(64), ForeignKey("emblem.sha256"))

    commitment: Mapped[Commitment] = relationship(back_populates="versions")

    @property
    def dimension_ids(self) -> list[str]:
        return [d["id"] for d in self.dimensions]

    @property
    def category_ids(self) -> list[str]:
        return [c["id"] for c in self.categories]


class Emblem(db.Model):  # type: ignore[name-defined,misc]
    """An issuer's emblem as Ikrar re-encoded it (PNG, metadata stripped), stored once by its hash."""

    __tablename__ = "emblem"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256 of ``png``
    png: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitee(db.Model):  # type: ignore[name-defined,misc]
    """A person expected (or registered on the spot) to sign a commitment."""

    __tablename__ = "invitee"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How duplicates are found and the kiosk searches, the same on every database (registry/core/
    # names.py name_key: NFKC and full case folding, which SQLite's lower() cannot do). Text: the
    # folded form can be longer than the name ("ß" → "ss"). Kept in step by _keep_keys.
    name_key: Mapped[str] = mapped_column(Text)
    institution_key: Mapped[str] = mapped_column(Text)

    @validates("name", "institution")
    def _keep_keys(self, field: str, value: str) -> str:
        setattr(self, f"{field}_key", name_key(value))
        return value


class InviteeChange(db.Model):  # type: ignore[name-defined,misc]
    """An admin's correction of an invitee's details before they signed (a typo in the list).

    Old and new values are personal data, so the rows live beside the invitee and are deleted with
    it when a signatory's data is erased; the public log never sees them.
    """

    __tablename__ = "invitee_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invitee_id: Mapped[int] = mapped_column(ForeignKey("invitee.id"), index=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))  # the admin's account name
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old: Mapped[dict[str, str]] = mapped_column(JSON)  # name, position, institution, category
    new: Mapped[dict[str, str]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class SignatureRecord(db.Model):  # type: ignore[name-defined,misc]
    """One signature: the exact signed bytes and their seal, with the strokes they hash."""

    __tablename__ = "signature_record"
    __table_args__ = (
        # One *standing* signature per invitee per version is enforced by the signing service under
        # the log's head lock: a signature withdrawn as made in error lets the invitee sign again.
        UniqueConstraint("client_id", "idempotency_key", name="uq_signature_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    code: Mapped[str] = mapped_column(String(11), unique=True)
    commitment_version_id: Mapped[int] = mapped_column(ForeignKey("commitment_version.id"), index=True)
    invitee_id: Mapped[int | None] = mapped_column(ForeignKey("invitee.id"))
    # The canonical JCS bytes exactly as signed; every other column here is derived from them.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[str] = mapped_column(String(86))
    kid: Mapped[str] = mapped_column(String(43), ForeignKey("signing_key.kid"))
    log_index: Mapped[int] = mapped_column(BigInteger, ForeignKey("log_entry.index"), unique=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_display: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    strokes: Mapped[bytes] = mapped_column(LargeBinary)
    client_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_sha256: Mapped[str | None] = mapped_column(String(64))

    commitment_version: Mapped[CommitmentVersion] = relationship()
    withdrawal: Mapped[Withdrawal | None] = relationship(lazy="joined")
    erasure: Mapped[Erasure | None] = relationship(lazy="joined")


class Withdrawal(db.Model):  # type: ignore[name-defined,misc]
    """A signature withdrawn because it was made in error. The record itself stays, verifiable."""

    __tablename__ = "withdrawal"

    record_id: Mapped[str] = mapped_column(ForeignKey("signature_record.id"), primary_key=True)
    # Public: the verify page shows it. The log holds only its SHA-256.
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    log_index: Mapped[int] = mapped_column(BigInteger, ForeignKey("log_entry.index"), unique=True)


ERASURE_GROUNDS = ("request", "retention")


class Erasure(db.Model):  # type: ignore[name-defined,misc]
    """A signature whose personal data was erased (UU 27/2022): the record's bytes, handwriting and
    name columns are gone; what stays is what the log already holds (ids, hashes, times)."""

    __tablename__ = "erasure"
    __table_args__ = (CheckConstraint("ground IN ('request', 'retention')", name="ck_erasure_ground"),)

    record_id: Mapped[str] = mapped_column(ForeignKey("signature_record.id"), primary_key=True)
    # The hash the signature:create entry committed to: a certificate the signer kept still
    # matches it, so the registry can confirm it without holding the personal data.
    record_sha256: Mapped[str] = mapped_column(String(64))
    ground: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    log_index: Mapped[int] = mapped_column(BigInteger, ForeignKey("log_entry.index"), unique=True)


class SigningKey(db.Model):  # type: ignore[name-defined,misc]
    """The public half and history of every key the registry ever used."""

    __tablename__ = "signing_key"
    __table_args__ = (
        CheckConstraint("purpose IN ('record', 'log')", name="ck_key_purpose"),
        CheckConstraint("status IN ('active', 'retired')", name="ck_key_status"),
    )

    kid: Mapped[str] = mapped_column(String(43), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    status: Mapped[str] = mapped_column(String(16))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LogEntry(db.Model):  # type: ignore[name-defined,misc]
    """One entry of the append-only log, stored as its canonical bytes."""

    __tablename__ = "log_entry"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # Derived from body; kept as columns for lookups and as uniqueness backstops.
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    prev: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime)


class LogHead(db.Model):  # type: ignore[name-defined,misc]
    """The single row every appender locks: the log's size, last hash and Merkle frontier."""

    __tablename__ = "log_head"
    __table_args__ = (CheckConstraint("id = 1", name="ck_log_head_single"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
    # The latest signed checkpoint (C2SP signed note) and the size it covers; it only ever
    # advances, by compare-and-swap, inside the same transaction as the appends it covers.
    checkpoint_size: Mapped[int] = mapped_column(BigInteger, default=0)
    checkpoint: Mapped[str] = mapped_column(Text, default="")


class MerkleNode(db.Model):  # type: ignore[name-defined,misc]
    """Hash of a complete Merkle subtree: level L, index i covers leaves [i·2^L, (i+1)·2^L)."""

    __tablename__ = "merkle_node"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


ROLES = ("admin", "operator", "auditor")


class User(db.Model):  # type: ignore[name-defined,misc]
    """A person who runs the registry: admin, operator (runs tablets) or auditor (read-only)."""

    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("role IN ('admin', 'operator', 'auditor')", name="ck_user_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Opaque public id, used in records and log entries instead of the person's name.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # TOTP (registry/services/mfa.py): the secret AES-GCM-encrypted under a key derived from
    # SECRET_KEY, never in clear; the last accepted time step, so no code is accepted twice;
    # enabled once the person confirmed a code (a secret without it is an unfinished enrolment).
    mfa_secret: Mapped[str | None] = mapped_column(String(255))
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.public_id


class Credential(db.Model):  # type: ignore[name-defined,misc]
    """A bearer credential: an enrolled tablet or integration (device), an operator's token, or an
    auditor's read token (full signature documents for ``ikrar audit --url``; it cannot sign)."""

    __tablename__ = "credential"
    __table_args__ = (
        CheckConstraint("kind IN ('device', 'operator', 'auditor')", name="ck_credential_kind"),
        CheckConstraint(
            "kind IN ('operator', 'auditor') OR commitment_id IS NOT NULL", name="ck_device_commitment"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    # A device is locked to one commitment; an operator token is not.
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitment.id"))
    # The operator who enrolled the device, or whose token this is.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    commitment: Mapped[Commitment | None] = relationship()
    user: Mapped[User | None] = relationship()


class StaffSession(db.Model):  # type: ignore[name-defined,misc]
    """A signed-in browser of a staff account. The cookie carries a random id; only its SHA-256 is
    stored, so a database read does not hand out live sessions. Deleting or revoking the row ends
    the session at once, whatever copies of the signed cookie exist."""

    __tablename__ = "staff_session"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class MfaRecoveryCode(db.Model):  # type: ignore[name-defined,misc]
    """A one-time recovery code of a staff account (SHA-256 of a random 80-bit code), used instead
    of a TOTP code when the device is lost; ``used_at`` marks it spent."""

    __tablename__ = "mfa_recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
