"""idempotent_requests: the first answer to each POST sent with an Idempotency-Key

Kept 24 hours, per API key (service/idempotency.py). The primary key makes two concurrent
requests with one key collide in the database, so only one of them runs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotent_requests",
        sa.Column("key_scope", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "key_scope", "idempotency_key", name=op.f("pk_idempotent_requests")
        ),
    )
    op.create_index(
        "ix_idempotent_requests_expires_at", "idempotent_requests", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_idempotent_requests_expires_at", table_name="idempotent_requests")
    op.drop_table("idempotent_requests")
