"""The ``ipsbill`` command (contract, "Operations"): serve, migrate, keys, demo, validate."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from service.config import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.migrate import upgrade

    settings = get_settings()
    if settings.is_sqlite:
        # The embedded default migrates itself, once, before any worker starts.
        upgrade(settings.database_url)
    uvicorn.run(
        "service.app:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # More than one worker: connections go to the worker holding fewest (service.serving).
        loop="service.serving:BalancedLoop" if args.workers > 1 else "auto",
        log_level="info",
        access_log=False,  # access lines carry query strings: keep PHI out of logs
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from service.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database is at the latest revision")
    return 0


async def _with_session(action: Callable[..., object]) -> object:
    from service.db import make_engine, make_sessionmaker, session_scope
    from service.migrate import upgrade

    settings = get_settings()
    if settings.is_sqlite:
        await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
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
                    lambda s: keys.create_key(
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


def _validate(args: argparse.Namespace) -> int:
    from service.validation import validate_837p

    try:
        with open(args.file, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError as exc:
        print(f"ipsbill validate: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
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
    validate = sub.add_parser("validate", help="run the 837P release checks on a file")
    validate.add_argument("file")
    validate.set_defaults(run=_validate)
    sub.add_parser("demo", help="load a synthetic month").set_defaults(run=_demo)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
