"""Multi-factor authentication for staff: a TOTP secret (encrypted), its last used time step and
an enabled flag on each account, and one-time recovery codes (hashed).

Every live staff session ends: sessions made before the upgrade were password-only, and an admin
or auditor must now sign in with a second factor.

Revision ID: 0012
Revises: 0011
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (SQLite has it): a batch copy of user_account would trip the foreign keys
    # of staff_session and credential that point at it.
    op.add_column("user_account", sa.Column("mfa_secret", sa.String(length=255), nullable=True))
    op.add_column("user_account", sa.Column("mfa_last_step", sa.BigInteger(), nullable=True))
    op.add_column(
        "user_account", sa.Column("mfa_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_table(
        "mfa_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mfa_recovery_code_user_id", "mfa_recovery_code", ["user_id"])
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as registry/db.py UTCDateTime stores it there
    staff_session = sa.table("staff_session", sa.column("revoked_at", sa.DateTime(timezone=True)))
    op.execute(staff_session.update().where(staff_session.c.revoked_at.is_(None)).values(revoked_at=now))


def downgrade():
    op.drop_index("ix_mfa_recovery_code_user_id", table_name="mfa_recovery_code")
    op.drop_table("mfa_recovery_code")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy, for the same reason.
    for column in ("mfa_enabled", "mfa_last_step", "mfa_secret"):
        op.drop_column("user_account", column)
