"""remittance exceptions: the claim payment itself is kept, and a person's resolution recorded

An exception held back by a remittance check (docs/edi.md, "Remittance checks") is resolved by
finance: ``apply`` applies the stored claim payment as if it had passed, ``dismiss`` closes it.
``remittance`` keeps the CLP loop (its lines and adjustments) and the payment's trace and date,
so applying needs nothing but the row; exceptions stored before this migration have none and
can only be dismissed. ``resolution``, ``resolved_by``, ``resolved_at`` and ``resolution_note``
say who decided what, when and why.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa

import service.models.base
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("remittance_exceptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remittance", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("resolved_at", service.models.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("resolution_note", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("remittance_exceptions", schema=None) as batch_op:
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolution")
        batch_op.drop_column("remittance")
