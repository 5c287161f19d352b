"""Withdrawals of signatures made in error.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "withdrawal",
        sa.Column("record_id", sa.String(length=26), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["signature_record.id"]),
        sa.ForeignKeyConstraint(["log_index"], ["log_entry.index"]),
        sa.PrimaryKeyConstraint("record_id"),
        sa.UniqueConstraint("log_index"),
    )


def downgrade():
    op.drop_table("withdrawal")
