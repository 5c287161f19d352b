"""Erasure of personal data without breaking the log (UU 27/2022), and retention per commitment.

``erasure`` records each signature whose personal data was erased: the log gets a
``signature:erase`` entry; the record's bytes, handwriting and name columns are emptied.
``commitment.retain_until`` is the last day the signatories' personal data is kept
(``ikrar privacy purge --due`` erases it after that day).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "erasure",
        sa.Column("record_id", sa.String(26), sa.ForeignKey("signature_record.id"), primary_key=True),
        sa.Column("record_sha256", sa.String(64), nullable=False),
        sa.Column("ground", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger, sa.ForeignKey("log_entry.index"), nullable=False, unique=True),
        sa.CheckConstraint("ground IN ('request', 'retention')", name="ck_erasure_ground"),
    )
    with op.batch_alter_table("commitment") as batch:
        batch.add_column(sa.Column("retain_until", sa.Date, nullable=True))


def downgrade():
    with op.batch_alter_table("commitment") as batch:
        batch.drop_column("retain_until")
    # Erased data cannot come back: the rows of erased signatures stay emptied.
    op.drop_table("erasure")
