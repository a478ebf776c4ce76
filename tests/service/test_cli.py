"""The ``ipsbill`` command as an operator runs it, from another directory: ``migrate`` and
``demo`` as real processes; ``keys`` through the same ``main`` in this process (one Python
start-up fewer per command; tests/service/cli_inprocess.py)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.cli_inprocess import Ran, run_cli


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IPSBILL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli(tmp_path: Path, *args: str) -> Ran:
    return run_cli(tmp_path, "cli.db", *args)


def _store_payer(tmp_path: Path, payer_id: str) -> None:
    """A payer row, as PUT /v1/payers would leave it (the CLI refuses keys of unknown payers)."""
    assert cli(tmp_path, "migrate").returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute(
            "INSERT INTO payers (payer_id, name, kind, edi_profile, timely_filing_days, version,"
            " body_hash, updated_at) VALUES (?, 'Vaya', 'lme_mco', 'default', 90, 1, 'x',"
            " '2026-01-01 00:00:00.000000')",
            (payer_id,),
        )


def test_keys_create_prints_the_key_alone_last_and_stores_only_its_hash(tmp_path: Path) -> None:
    _store_payer(tmp_path, "VAYA")
    result = cli(tmp_path, "keys", "create", "--role", "integration", "--payer-id", "VAYA")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("ipsb_") and " " not in key
    with sqlite3.connect(tmp_path / "cli.db") as db:
        stored = [row[0] for row in db.execute("SELECT key_hash FROM api_keys")]
        dump = "\n".join(db.iterdump())
    assert len(stored) == 1 and key not in dump  # hashed, never in clear


def test_keys_create_refuses_an_integration_key_without_a_payer(tmp_path: Path) -> None:
    result = cli(tmp_path, "keys", "create", "--role", "integration")
    assert result.returncode == 2
    assert "payer" in result.stderr


def test_keys_create_refuses_an_unknown_payer_or_provider(tmp_path: Path) -> None:
    _store_payer(tmp_path, "VAYA")
    for scope in (["--role", "integration", "--payer-id", "NOPE"],
                  ["--role", "finance", "--payer-id", "NOPE"],
                  ["--role", "provider", "--provider-id", "NOPE"]):  # fmt: skip
        result = cli(tmp_path, "keys", "create", *scope)
        assert result.returncode == 2, scope
        assert "no payer NOPE" in result.stderr or "no provider NOPE" in result.stderr
    with sqlite3.connect(tmp_path / "cli.db") as db:
        assert db.execute("SELECT count(*) FROM api_keys").fetchone()[0] == 0


def test_keys_list_and_revoke(tmp_path: Path) -> None:
    created = cli(tmp_path, "keys", "create", "--role", "admin", "--name", "ops")
    key_id = created.stdout.split("key id: ")[1].split()[0]
    assert cli(tmp_path, "keys", "revoke", key_id).returncode == 0
    listed = cli(tmp_path, "keys", "list").stdout
    assert key_id in listed and "revoked" in listed
    assert cli(tmp_path, "keys", "revoke", "key_missing").returncode == 2


def test_migrate_works_from_any_directory(tmp_path: Path) -> None:
    result = run(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "cli.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"service_events", "unit_lines", "claims", "alembic_version"} <= tables


@pytest.mark.slow
def test_demo_loads_a_month_with_a_batch_answers_and_an_invoice(tmp_path: Path) -> None:
    result = run(tmp_path, "demo")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "audit entry not written" not in result.stderr  # every request is in the trail
    out = result.stdout
    assert "0 rejected" in out and "claim batch B" in out and "invoice " in out
    assert "inbound 835:" in out
    # The audit entry of every request is written (it waited out the busy timeout and was lost).
    assert "audit entry not written" not in result.stderr + result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("ipsb_")
