"""job payloads: an inbound file waiting for its job, and the links a job made

``jobs.payload`` keeps the raw X12 text of an inbound file answered with 202 until its job
applies it (docs/jobs.md, "Inbound files"): stored with the job in the request's transaction,
so a restart resumes it. ``jobs.made`` lists the links of what a job made when it makes more
than one thing (the invoices of every provider of a payer). ``inbound_files.payer_id`` is the
poster's payer scope (null for an unscoped key), which ``GET /v1/edi/inbound/{file_id}`` keeps.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("made", sa.JSON(), nullable=True))
    with op.batch_alter_table("inbound_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payer_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_files", schema=None) as batch_op:
        batch_op.drop_column("payer_id")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("made")
        batch_op.drop_column("payload")
