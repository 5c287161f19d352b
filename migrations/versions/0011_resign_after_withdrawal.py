"""An invitee whose signature was withdrawn (made in error) may sign the same version again.

The unique constraint (commitment version, invitee) allowed one signature row ever; the rule is
one *standing* signature, checked by the signing service under the log's head lock (withdrawn and
erased signatures do not count). SQLite rebuilds the table (batch mode).

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signature_record") as batch:
        batch.drop_constraint("uq_signature_invitee", type_="unique")


def downgrade():
    # Fails if an invitee signed again after a withdrawal: that history cannot fit the old rule.
    with op.batch_alter_table("signature_record") as batch:
        batch.create_unique_constraint("uq_signature_invitee", ["commitment_version_id", "invitee_id"])
