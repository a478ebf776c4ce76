"""fidelity_reevaluation: a review's re-evaluation request, and lines drawn from two authorizations

``fidelity_reviews.reevaluation_requested_on``: a 65-73 review whose re-evaluation was asked for
within 180 days of its final report does not gate billing until the re-evaluation is recorded.
``unit_lines.authorization_draws``: the (authorization, units) pairs of a line that drew from more
than one overlapping authorization, so each one's used units stay exact (docs/billing-rules.md).

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fidelity_reviews") as batch:
        batch.add_column(sa.Column("reevaluation_requested_on", sa.Date(), nullable=True))
    with op.batch_alter_table("unit_lines") as batch:
        batch.add_column(sa.Column("authorization_draws", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unit_lines") as batch:
        batch.drop_column("authorization_draws")
    with op.batch_alter_table("fidelity_reviews") as batch:
        batch.drop_column("reevaluation_requested_on")
