"""jobs: long work (claim batches) queued, run, resumed after a crash, and watched

A job row is claimed by one runner at a time (``lease_owner`` until ``lease_until``, renewed by
its heartbeat); a runner that died leaves a lease that runs out, and another runner takes the
job over. ``attempts`` counts the takings, so a job that keeps killing its runner fails with a
reason instead of looping. Progress lives on the row so every API replica can show it.

unit_lines gets fillfactor 50 on PostgreSQL: a fee-schedule change re-prices lines in place
(rate, charge: no indexed column), and with half of each page free the new row versions stay
on their page (HOT updates), so none of the table's six indexes is written. Measured on 20,000
lines: 2.1 s at fillfactor 100, 0.17 s at 50; the cost is a table about twice as large on disk.
Rows stored before this migration move to roomier pages when rewritten (VACUUM FULL unit_lines,
in a maintenance window).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payer_id", sa.String(64), nullable=True),
        sa.Column("provider_id", sa.String(64), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(200), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name="pk_jobs"),
    )
    # What a runner looks for: the oldest open job (queued, or running on a lapsed lease).
    op.create_index("ix_jobs_state_created_at", "jobs", ["state", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE unit_lines SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE unit_lines RESET (fillfactor)")
    op.drop_index("ix_jobs_state_created_at", table_name="jobs")
    op.drop_table("jobs")
