"""unit_counters: units counted per member, provider and authorization; unit_lines by date

Re-adjudication needs each touched member's units counted before a date (the first-64
allowance, authorizations). Summing the member's earlier lines grew with history; the totals
kept here minus the lines from that date on do not. Backfilled from existing lines.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_counters",
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("authorization_id", sa.String(64), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "member_id", "provider_id", "authorization_id", name="pk_unit_counters"
        ),
    )
    op.execute(
        "INSERT INTO unit_counters (member_id, provider_id, authorization_id, units) "
        "SELECT member_id, provider_id, COALESCE(authorization_id, ''), SUM(auth_units) "
        "FROM unit_lines WHERE auth_units > 0 "
        "GROUP BY member_id, provider_id, COALESCE(authorization_id, '')"
    )
    op.create_index(
        "ix_unit_lines_member_id_service_date", "unit_lines", ["member_id", "service_date"]
    )


def downgrade() -> None:
    op.drop_index("ix_unit_lines_member_id_service_date", table_name="unit_lines")
    op.drop_table("unit_counters")
