"""Branding: each commitment version may name its issuer and point at an emblem image.

``commitment_version.issuer`` (text printed above the title) and ``commitment_version.emblem_sha256``
(the hex SHA-256 of a re-encoded PNG in the new ``emblem`` table). Both enter the version document
the log binds only when set, so every existing version keeps its hash (docs/FORMATS.md §4).

Revision ID: 0015
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    present = sa.inspect(op.get_bind())
    if not present.has_table("emblem"):  # kept by a downgrade (below): it holds data the log binds
        op.create_table(
            "emblem",
            sa.Column("sha256", sa.String(length=64), nullable=False),
            sa.Column("png", sa.LargeBinary(), nullable=False),
            sa.Column("width", sa.Integer(), nullable=False),
            sa.Column("height", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("sha256"),
        )
    columns = {column["name"] for column in present.get_columns("commitment_version")}
    if "issuer" in columns:
        return  # a downgrade kept the columns and their values; nothing to add
    # Plain ADD COLUMN (SQLite has it, without the foreign key: SQLite cannot add one to an existing
    # table, and the application only ever writes a hash it has just stored in ``emblem``).
    op.add_column("commitment_version", sa.Column("issuer", sa.String(length=200), nullable=True))
    op.add_column("commitment_version", sa.Column("emblem_sha256", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(
            "fk_commitment_version_emblem", "commitment_version", "emblem", ["emblem_sha256"], ["sha256"]
        )


def downgrade():
    """Keep the columns and the table. The issuer and emblem hash of a published version are in
    the version document the log binds: dropping them would turn every such version, and every
    signature under it, into an integrity error after the next upgrade. The older code ignores
    columns it does not know; upgrading again finds them in place (above)."""
