"""Stop keeping invitees' contact details (data minimisation, UU 27/2022): erase them, drop the column.

Contacts were collected at import and never used or shown. The values are overwritten with NULL
before the column is dropped, so no copy survives in the rows the drop leaves behind (PostgreSQL
drops a column without rewriting the table). On SQLite ``secure_delete`` makes the freed pages
be zeroed rather than left in the file. Dead row versions on PostgreSQL disappear only after
``VACUUM FULL invitee``, which cannot run inside a migration's transaction: see the README.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("PRAGMA secure_delete = ON")
    op.execute("UPDATE invitee SET contact = NULL")
    with op.batch_alter_table("invitee") as batch:
        batch.drop_column("contact")


def downgrade():
    # The erased contacts cannot come back; the column returns empty.
    with op.batch_alter_table("invitee") as batch:
        batch.add_column(sa.Column("contact", sa.String(length=200), nullable=True))
