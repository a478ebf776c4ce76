"""console_users and console_sessions: people signing in to /console (issue 17); two indexes
for the console's queues (held unit lines by reason; claims by status)

Passwords are argon2 hashes; a session row keeps only the SHA-256 of the cookie's token, its
CSRF token and when it was last used (the idle sign-out is decided on the server).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from service.models.base import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("paused_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_console_users")),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_sessions")),
    )
    op.create_index(
        op.f("ix_console_sessions_username"), "console_sessions", ["username"], unique=False
    )
    held = sa.text("status = 'held'")
    op.create_index(
        "ix_unit_lines_held",
        "unit_lines",
        ["hold_reason", "held_units"],
        postgresql_where=held,
        sqlite_where=held,
    )
    op.create_index("ix_claims_status_service_month", "claims", ["status", "service_month"])


def downgrade() -> None:
    op.drop_index("ix_claims_status_service_month", table_name="claims")
    op.drop_index("ix_unit_lines_held", table_name="unit_lines")
    op.drop_index(op.f("ix_console_sessions_username"), table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("console_users")
