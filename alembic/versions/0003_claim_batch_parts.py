"""claim_batch_parts: a released 837P stored as ordered parts, not one claim_batches.content

A 50,000-claim batch is about 55 MB of text. Held as one string, then joined, encoded for its
digest and copied by the driver for one INSERT, it made the API's peak memory follow the batch
size. Each page's text is now stored as it is written; the download streams the parts back in
order, byte for byte. Existing batches keep their file as their single part (seq 0).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim_batch_parts",
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "seq", name=op.f("pk_claim_batch_parts")),
    )
    op.execute(
        "INSERT INTO claim_batch_parts (batch_id, seq, content) "
        "SELECT batch_id, 0, content FROM claim_batches"
    )
    with op.batch_alter_table("claim_batches", schema=None) as batch_op:
        batch_op.drop_column("content")


def downgrade() -> None:
    with op.batch_alter_table("claim_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.Text(), nullable=False, server_default=""))
    # Joined in Python: SQLite's group_concat does not promise an order.
    connection = op.get_bind()
    batches = [row[0] for row in connection.execute(sa.text("SELECT batch_id FROM claim_batches"))]
    for batch_id in batches:
        parts = connection.execute(
            sa.text("SELECT content FROM claim_batch_parts WHERE batch_id = :b ORDER BY seq"),
            {"b": batch_id},
        )
        connection.execute(
            sa.text("UPDATE claim_batches SET content = :c WHERE batch_id = :b"),
            {"c": "".join(row[0] for row in parts), "b": batch_id},
        )
    with op.batch_alter_table("claim_batches", schema=None) as batch_op:
        batch_op.alter_column("content", server_default=None)
    op.drop_table("claim_batch_parts")
