"""Auditor bearer tokens: a credential kind ``auditor`` (reads full signature documents, never signs).

``GET /api/v1/signatures/<id>`` shows the sealed record only to auditors and admins (the consent
text is the contract, UU 27/2022); ``ikrar audit --url --token-file`` sends such a token to check
every record's seal. The CHECK constraints are widened; SQLite rebuilds the table (batch mode).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _constraints(kinds: str, unlocked: str) -> None:
    with op.batch_alter_table("credential") as batch:
        batch.drop_constraint("ck_credential_kind", type_="check")
        batch.drop_constraint("ck_device_commitment", type_="check")
        batch.create_check_constraint("ck_credential_kind", f"kind IN ({kinds})")
        batch.create_check_constraint("ck_device_commitment", f"{unlocked} OR commitment_id IS NOT NULL")


def upgrade():
    _constraints("'device', 'operator', 'auditor'", "kind IN ('operator', 'auditor')")


def downgrade():
    # Auditor tokens cannot exist under the old constraint: they are removed, not kept unusable.
    op.execute("DELETE FROM credential WHERE kind = 'auditor'")
    _constraints("'device', 'operator'", "kind = 'operator'")
