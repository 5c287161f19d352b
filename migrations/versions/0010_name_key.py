"""Invitees' name and institution keys: NFKC, Unicode case folding, one rule on every database.

Duplicates (a walk-in who already signed, a CSV row already on the list) and the kiosk search
compare names by ``registry.core.names.name_key``; SQLite's ``lower()`` folds ASCII only, so
"ÉLISE ÑÚÑEZ" passed beside "Élise Ñúñez" there while PostgreSQL refused it. The keys are
computed in Python, here for the rows that exist and by the model for new ones. A later change of
the rule must come with a migration that recomputes them.

Revision ID: 0010
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from registry.core.names import name_key

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    with op.batch_alter_table("invitee") as batch:
        batch.add_column(sa.Column("name_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("institution_key", sa.Text(), nullable=True))
    bind = op.get_bind()
    invitee = sa.table(
        "invitee",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("institution", sa.String),
        sa.column("name_key", sa.Text),
        sa.column("institution_key", sa.Text),
    )
    rows = bind.execute(sa.select(invitee.c.id, invitee.c.name, invitee.c.institution)).all()
    update = (
        invitee.update()
        .where(invitee.c.id == sa.bindparam("row_id"))
        .values(name_key=sa.bindparam("nk"), institution_key=sa.bindparam("ik"))
    )
    for start in range(0, len(rows), BATCH):
        bind.execute(
            update,
            [
                {"row_id": row_id, "nk": name_key(name), "ik": name_key(institution)}
                for row_id, name, institution in rows[start : start + BATCH]
            ],
        )
    with op.batch_alter_table("invitee") as batch:
        batch.alter_column("name_key", existing_type=sa.Text(), nullable=False)
        batch.alter_column("institution_key", existing_type=sa.Text(), nullable=False)


def downgrade():
    with op.batch_alter_table("invitee") as batch:
        batch.drop_column("institution_key")
        batch.drop_column("name_key")
