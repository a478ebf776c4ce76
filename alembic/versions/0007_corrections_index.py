"""unit_lines: a partial index of claimed lines that no longer match their claim

A claim batch looks for claimed lines whose units or charge changed (replacements and voids).
Without an index for them it read every claimed line of the payer, a cost that grew with the
whole billing history. Such a line's status is never ``claimed`` (claims.claimed.line_state),
so the few of them are indexed alone; the model (service.models.events.UnitLine) declares it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = "claim_id IS NOT NULL AND status <> 'claimed'"


def upgrade() -> None:
    op.create_index(
        "ix_unit_lines_changed_claimed",
        "unit_lines",
        ["payer_id", "claim_id"],
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_unit_lines_changed_claimed", table_name="unit_lines")
