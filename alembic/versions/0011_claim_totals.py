"""claim_totals: claims summed by payer, month, status and batch, kept by triggers on claims

The console's overview and batch list sum claims by payer, month, status and batch; over
100,000 claims that grouped scan took 70-390 ms (docs/console.md). This table holds the same
sums, one row per group (hundreds, not a row per claim), and database triggers change it in the
statement (so the transaction) that inserts, updates or deletes a claim: every writer, ORM or
plain SQL, keeps it exact without knowing it exists. Money is integer cents: exact on SQLite
too, where amounts are text and arithmetic on them would be floating point.

``ix_claims_to_work`` serves the denials queue (denied and rejected claims in force, newest
month first) by reading only the 200 rows it shows: 25 ms to 0.1 ms with 20,000 such claims.
The queue's query writes its constants inline (service/console/queries.py) so PostgreSQL can
match this partial index's WHERE in every plan, generic ones included.

``in_force`` is the overview's rule (not a void, not replaced). Rows are never deleted; a group
that emptied reads as claims = 0 and is skipped by the reads.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "payer_id, service_month, status, batch_id, in_force"
WATCHED = ("payer_id, service_month, status, batch_id, frequency, replaced_by_claim_id, "
           "total_charge, paid_amount")  # fmt: skip


def _in_force(row: str) -> str:
    return f"({row}.frequency <> '8' AND {row}.replaced_by_claim_id IS NULL)"


def _match(row: str, in_force: str) -> str:
    return (
        f"payer_id = {row}.payer_id AND service_month = {row}.service_month AND "
        f"status = {row}.status AND batch_id = {row}.batch_id AND in_force = {in_force}"
    )


PG_FUNCTION = f"""
CREATE FUNCTION claim_totals_upkeep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE claim_totals SET claims = claims - 1,
      charge_cents = charge_cents - (OLD.total_charge * 100)::bigint,
      paid_cents = paid_cents - (OLD.paid_amount * 100)::bigint
    WHERE {_match("OLD", _in_force("OLD"))};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO claim_totals ({KEY}, claims, charge_cents, paid_cents)
    VALUES (NEW.payer_id, NEW.service_month, NEW.status, NEW.batch_id, {_in_force("NEW")}, 1,
            (NEW.total_charge * 100)::bigint, (NEW.paid_amount * 100)::bigint)
    ON CONFLICT ({KEY}) DO UPDATE SET claims = claim_totals.claims + 1,
      charge_cents = claim_totals.charge_cents + EXCLUDED.charge_cents,
      paid_cents = claim_totals.paid_cents + EXCLUDED.paid_cents;
  END IF;
  RETURN NULL;
END $$;
"""


def _cents(value: str) -> str:
    return f"CAST(ROUND(CAST({value} AS REAL) * 100) AS INTEGER)"


def _sqlite_add(row: str, sign: str) -> str:
    in_force = f"CASE WHEN {_in_force(row)} THEN 1 ELSE 0 END"
    return (
        f"INSERT OR IGNORE INTO claim_totals ({KEY}, claims, charge_cents, paid_cents) VALUES "
        f"({row}.payer_id, {row}.service_month, {row}.status, {row}.batch_id, {in_force}, 0, 0, 0);"
        f" UPDATE claim_totals SET claims = claims {sign} 1, "
        f"charge_cents = charge_cents {sign} {_cents(row + '.total_charge')}, "
        f"paid_cents = paid_cents {sign} {_cents(row + '.paid_amount')} "
        f"WHERE {_match(row, in_force)};"
    )


SQLITE_TRIGGERS = (
    f"CREATE TRIGGER claim_totals_insert AFTER INSERT ON claims BEGIN "
    f"{_sqlite_add('NEW', '+')} END",
    f"CREATE TRIGGER claim_totals_update AFTER UPDATE OF {WATCHED} ON claims BEGIN "
    f"{_sqlite_add('OLD', '-')} {_sqlite_add('NEW', '+')} END",
    f"CREATE TRIGGER claim_totals_delete AFTER DELETE ON claims BEGIN "
    f"{_sqlite_add('OLD', '-')} END",
)


def upgrade() -> None:
    op.create_table(
        "claim_totals",
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("service_month", sa.String(7), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("in_force", sa.Boolean(), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY.split(", "), name="pk_claim_totals"),
    )
    op.create_index("ix_claim_totals_batch_id", "claim_totals", ["batch_id"])
    to_work = sa.text(
        "status IN ('denied', 'rejected') AND frequency <> '8' AND replaced_by_claim_id IS NULL"
    )
    op.create_index(
        "ix_claims_to_work",
        "claims",
        [sa.text("service_month DESC"), "claim_id"],
        postgresql_where=to_work,
        sqlite_where=to_work,
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    charge = "(total_charge * 100)::bigint" if postgres else _cents("total_charge")
    paid = "(paid_amount * 100)::bigint" if postgres else _cents("paid_amount")
    in_force = _in_force("claims")
    op.execute(
        f"INSERT INTO claim_totals ({KEY}, claims, charge_cents, paid_cents) "
        f"SELECT payer_id, service_month, status, batch_id, {in_force}, count(*), "
        f"sum({charge}), sum({paid}) FROM claims "
        f"GROUP BY payer_id, service_month, status, batch_id, {in_force}"
    )
    if postgres:
        op.execute(PG_FUNCTION)
        op.execute(
            f"CREATE TRIGGER claim_totals_upkeep AFTER INSERT OR DELETE OR UPDATE OF {WATCHED}"
            " ON claims FOR EACH ROW EXECUTE FUNCTION claim_totals_upkeep()"
        )
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER claim_totals_upkeep ON claims")
        op.execute("DROP FUNCTION claim_totals_upkeep()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER claim_totals_{name}")
    op.drop_index("ix_claims_to_work", table_name="claims")
    op.drop_index("ix_claim_totals_batch_id", table_name="claim_totals")
    op.drop_table("claim_totals")
