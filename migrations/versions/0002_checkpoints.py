"""The latest signed checkpoint, kept in the log head row.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("log_head") as batch_op:
        batch_op.add_column(sa.Column("checkpoint_size", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("checkpoint", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("log_head") as batch_op:
        batch_op.drop_column("checkpoint")
        batch_op.drop_column("checkpoint_size")
