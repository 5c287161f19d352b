"""Corrections of an invitee's details before signing, each with who, when, old and new values.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invitee_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("invitee_id", sa.Integer(), sa.ForeignKey("invitee.id"), nullable=False),
        sa.Column("commitment_id", sa.Integer(), sa.ForeignKey("commitment.id"), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old", sa.JSON(), nullable=False),
        sa.Column("new", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_invitee_change_invitee_id", "invitee_change", ["invitee_id"])
    op.create_index("ix_invitee_change_commitment_id", "invitee_change", ["commitment_id"])


def downgrade():
    op.drop_index("ix_invitee_change_commitment_id", table_name="invitee_change")
    op.drop_index("ix_invitee_change_invitee_id", table_name="invitee_change")
    op.drop_table("invitee_change")
