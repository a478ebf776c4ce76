"""EDI exchange: one claim/batch numbering for every sender, payer EDI ids, checked remittances

- claim and batch numbers were counted per ISA sender, so a second payer profile (another
  sender) drew numbers already taken: they now come from the counters ``claim`` and ``batch``,
  which start after the highest number any sender has used;
- payers may name their own 837P payer id and receiver (NM1*PR NM109, NM1*40);
- a batch's status may be "partially_accepted" (18 characters, was cut at 16 on PostgreSQL);
- a batch keeps the ISA08 it was sent to, so a 999 or TA1 is matched by sender, receiver and
  control number together;
- 835 claim payments that fail a remittance check, and PLB provider-level adjustments, are kept.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa

import service.models.base
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = service.models.base.Money(precision=14, scale=2)
WHEN = service.models.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edi_payer_id", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("edi_receiver_id", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("edi_receiver_name", sa.String(length=60), nullable=True))
    with op.batch_alter_table("claim_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receiver_id", sa.String(length=15), nullable=True))
        # "partially_accepted" (a 999 with AK901 P) is 18 characters
        batch_op.alter_column(
            "status", existing_type=sa.String(length=16), type_=sa.String(length=24)
        )
    _seed_counter("claim", "claim:%")
    _seed_counter("batch", "isa:%")
    _create_exceptions()
    _create_adjustments()


def _seed_counter(name: str, per_sender: str) -> None:
    op.execute(
        sa.text(
            "INSERT INTO control_counters (name, value) "
            "SELECT :name, COALESCE(MAX(value), 0) FROM control_counters WHERE name LIKE :like"
        ).bindparams(name=name, like=per_sender)
    )


def _create_exceptions() -> None:
    op.create_table(
        "remittance_exceptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("inbound_digest", sa.String(length=64), nullable=False),
        sa.Column("claim_id", sa.String(length=20), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("payment_trace", sa.String(length=50), nullable=False),
        sa.Column("payer_claim_number", sa.String(length=50), nullable=False),
        sa.Column("status_code", sa.String(length=4), nullable=False),
        sa.Column("charge", MONEY, nullable=False),
        sa.Column("paid", MONEY, nullable=False),
        sa.Column("failed_checks", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_exceptions")),
    )
    op.create_index(
        op.f("ix_remittance_exceptions_inbound_digest"), "remittance_exceptions", ["inbound_digest"]
    )
    op.create_index(
        op.f("ix_remittance_exceptions_payer_id_id"), "remittance_exceptions", ["payer_id", "id"]
    )


def _create_adjustments() -> None:
    op.create_table(
        "provider_adjustments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("inbound_digest", sa.String(length=64), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("provider_identifier", sa.String(length=50), nullable=False),
        sa.Column("payment_trace", sa.String(length=50), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("fiscal_period_end", sa.Date(), nullable=True),
        sa.Column("reason_code", sa.String(length=4), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_adjustments")),
    )
    op.create_index(
        op.f("ix_provider_adjustments_inbound_digest"), "provider_adjustments", ["inbound_digest"]
    )
    op.create_index(
        op.f("ix_provider_adjustments_provider_id_id"), "provider_adjustments", ["provider_id", "id"]
    )
    op.create_index(
        op.f("ix_provider_adjustments_payer_id_id"), "provider_adjustments", ["payer_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("provider_adjustments")
    op.drop_table("remittance_exceptions")
    op.execute("DELETE FROM control_counters WHERE name IN ('claim', 'batch')")
    with op.batch_alter_table("claim_batches", schema=None) as batch_op:
        batch_op.alter_column(
            "status", existing_type=sa.String(length=24), type_=sa.String(length=16)
        )
        batch_op.drop_column("receiver_id")
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.drop_column("edi_receiver_name")
        batch_op.drop_column("edi_receiver_id")
        batch_op.drop_column("edi_payer_id")
