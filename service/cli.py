"""The ``ipsbill`` command (contract, "Operations"): serve, migrate, keys, demo, validate."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from service.config import Settings, get_settings


def _serve(args: argparse.Namespace) -> int:
    from service.migrate import upgrade
    from service.request_id import log_config
    from service.serving import serve

    settings = get_settings()
    if settings.is_sqlite:
        # The embedded default migrates itself, once, before any worker starts.
        upgrade(settings.database_url)
        _demo_if_empty(settings, args)
    serve(args.host, args.port, args.workers, log_config(settings.log_level))
    return 0


def _worker(_args: argparse.Namespace) -> int:
    from service.jobs.worker import run_worker

    return asyncio.run(run_worker(get_settings()))


def _demo_if_empty(settings: Settings, args: argparse.Namespace) -> None:
    """A fresh embedded database gets the demo month and a console sign-in (README
    Quickstart: its first command leads to a console with something in it)."""
    from service.demo import database_is_empty, run_demo

    if settings.demo_on_empty and asyncio.run(database_is_empty(settings)):
        print("empty database: loading the demo month (IPSBILL_DEMO_ON_EMPTY=false skips this)")
        asyncio.run(run_demo(settings))
        print(f"console: http://{args.host}:{args.port}/console")


def _migrate(_args: argparse.Namespace) -> int:
    from service.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database is at the latest revision")
    return 0


async def _with_session(action: Callable[..., object]) -> object:
    from service.db import engine_for, make_sessionmaker, session_scope
    from service.migrate import upgrade

    settings = get_settings()
    if settings.is_sqlite:
        await asyncio.to_thread(upgrade, settings.database_url)
    engine = engine_for(settings)
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            return await action(session)  # type: ignore[misc]
    finally:
        await engine.dispose()


def _keys(args: argparse.Namespace) -> int:
    from claims.errors import DomainError
    from service.auth import keys
    from service.auth.principal import Role

    try:
        if args.keys_command == "create":
            new = asyncio.run(
                _with_session(
                    lambda s: keys.create_scoped_key(
                        s, Role(args.role), args.payer_id, args.provider_id, args.name
                    )
                )
            )
            print(f"key id: {new.key_id} (role {args.role}); the key is shown once:")  # type: ignore[attr-defined]
            print(new.clear_key)  # type: ignore[attr-defined]
        elif args.keys_command == "list":
            for key in asyncio.run(_with_session(keys.list_keys)):  # type: ignore[attr-defined]
                state = "revoked" if key.revoked_at else "active"
                scope = key.payer_id or key.provider_id or "-"
                print(f"{key.key_id}\t{key.role}\t{scope}\t{state}\t{key.name or ''}")
        else:
            asyncio.run(_with_session(lambda s: keys.revoke_key(s, args.key_id)))
            print(f"revoked {args.key_id}")
    except DomainError as exc:
        print(f"ipsbill keys: {exc.detail}", file=sys.stderr)
        return 2
    return 0


def _users(args: argparse.Namespace) -> int:
    from claims.errors import DomainError
    from service.auth.principal import Role
    from service.console import accounts

    try:
        if args.users_command == "create":
            password = _read_password(args.password_stdin)
            asyncio.run(_with_session(lambda s: accounts.create_user(
                s, args.username, password, Role(args.role), args.payer_id, args.provider_id
            )))  # fmt: skip
            print(f"console user {args.username} created (role {args.role})")
        elif args.users_command == "list":
            for user in asyncio.run(_with_session(accounts.list_users)):  # type: ignore[attr-defined]
                scope = user.payer_id or user.provider_id or "-"
                state = "disabled" if user.disabled else "active"
                print(f"{user.username}\t{user.role}\t{scope}\t{state}")
        else:
            asyncio.run(_with_session(lambda s: accounts.disable_user(s, args.username)))
            print(f"disabled {args.username}; their sessions are signed out")
    except DomainError as exc:
        print(f"ipsbill users: {exc.detail}", file=sys.stderr)
        return 2
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise SystemExit("ipsbill users: the two passwords differ")
    return first


def _validate(args: argparse.Namespace) -> int:
    from claims.inbound.verdict import tell_kind
    from service.validation import keep_pyx12_out_of_logs

    keep_pyx12_out_of_logs()  # pyx12 logs the values it refuses (a name, a birth date)

    try:
        with open(args.file, encoding="utf-8-sig", errors="replace") as handle:
            text = handle.read()
    except OSError as exc:
        print(f"ipsbill validate: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    kind = tell_kind(text)
    print(f"kind: {kind or 'not an X12 interchange'}")
    return _validate_837p(text) if kind in ("837P", "") else _validate_response(text)


def _validate_837p(text: str) -> int:
    from service.validation import validate_837p

    report = validate_837p(text)
    for problem in report.problems:
        where = " ".join(
            part
            for part in (
                problem.claim_id and f"claim {problem.claim_id}",
                problem.segment_id and f"segment {problem.segment_id}",
                problem.position and f"#{problem.position}",
            )
            if part
        )
        print(f"{where or 'file'}: {problem.message}")
    print(
        "OK: passes pyx12 005010X222A1 and the release checks"
        if report.ok
        else f"REFUSED: {len(report.problems)} problem(s)"
    )
    return 0 if report.ok else 1


def _validate_response(text: str) -> int:
    """999, 277CA, 835 (docs/edi.md): read as the service reads it, then by pyx12."""
    from claims.inbound.verdict import check_response

    verdict = check_response(text)
    for problem in verdict.problems:
        print(problem)
    against = f" and pyx12 {verdict.guide}" if verdict.guide else ""
    print(
        f"OK: {verdict.kind} passes the inbound reading{against}"
        if verdict.ok
        else f"REFUSED: {len(verdict.problems)} problem(s)"
    )
    return 0 if verdict.ok else 1


def _simulate(args: argparse.Namespace) -> int:
    """The payer's answer to an 837P, for trying the inbound side without a payer."""
    from datetime import UTC, datetime

    from claims.errors import DomainError
    from claims.inbound import simulate

    try:
        with open(args.file, encoding="ascii") as handle:
            text = handle.read()
        when = datetime.now(UTC)
        answer = {
            "999": lambda: simulate.simulate_999(text, control_number=1, created=when),
            "277ca": lambda: simulate.simulate_277ca(text, control_number=2, created=when),
            "835": lambda: simulate.simulate_835(
                text, control_number=3, created=when, trace_number=f"SIM{when:%Y%m%d%H%M%S}"
            ),
        }[args.kind]()
    except (OSError, UnicodeDecodeError, DomainError) as exc:
        print(f"ipsbill simulate: cannot answer {args.file}: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(answer)
    return 0


def _demo(_args: argparse.Namespace) -> int:
    from service.demo import run_demo

    return asyncio.run(run_demo(get_settings()))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="ipsbill", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (PostgreSQL: one per core; SQLite: keep 1)",
    )
    serve.set_defaults(run=_serve)
    sub.add_parser("migrate", help="alembic upgrade head").set_defaults(run=_migrate)
    sub.add_parser("worker", help="run jobs only (no API)").set_defaults(run=_worker)
    keys = sub.add_parser("keys", help="API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="create a key; prints it once, last line")
    create.add_argument(
        "--role", required=True, choices=["admin", "integration", "finance", "provider"]
    )
    create.add_argument("--payer-id")
    create.add_argument("--provider-id")
    create.add_argument("--name")
    keys.add_parser("list", help="list keys (never the keys themselves)")
    revoke = keys.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id")
    for name in ("create", "list", "revoke"):
        keys.choices[name].set_defaults(run=_keys)
    _users_parser(sub)
    validate = sub.add_parser(
        "validate", help="say which X12 file it is (837P, 999, 277CA, 835) and check it"
    )
    validate.add_argument("file")
    validate.set_defaults(run=_validate)
    sub.add_parser("demo", help="load a synthetic month").set_defaults(run=_demo)
    simulate = sub.add_parser(
        "simulate",
        help="write the payer's answer to an 837P file (a 999, 277CA, or an 835 paying every "
        "claim in full) to standard output, to try the inbound side without a payer",
    )
    simulate.add_argument("kind", choices=["999", "277ca", "835"])
    simulate.add_argument("file", help="an 837P file, e.g. downloaded from .../837p")
    simulate.set_defaults(run=_simulate)
    return root


def _users_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = sub.add_parser("users", help="console users").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create", help="create a console user")
    create.add_argument("--role", required=True, choices=["admin", "finance", "provider"])
    create.add_argument("--payer-id")
    create.add_argument("--provider-id")
    create.add_argument("--username", required=True)
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    users.add_parser("list", help="list console users")
    disable = users.add_parser("disable", help="disable a user and sign them out")
    disable.add_argument("username")
    for name in ("create", "list", "disable"):
        users.choices[name].set_defaults(run=_users)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
