"""`intercom-assets`: test-connection, emulator, demo, dev, query."""

import argparse
import os
import sys
from pathlib import Path

from intercom_assets.mirror.spec import ConfigError


def _test_connection(_: argparse.Namespace) -> int:
    """The "Test Connection" button: /me, a one-result search, one GET; advice on failure."""
    from intercom_assets.client.connection_check import check_connection
    from intercom_assets.components import load_workspace_spec
    from intercom_assets.mirror.resources import IntercomResource, missing_token_message

    spec = load_workspace_spec()
    token = os.environ.get(spec.access_token_env, "").strip()
    if not token:
        print(missing_token_message(spec.access_token_env), file=sys.stderr)
        return 2
    resource = IntercomResource(
        access_token=token,
        region=spec.region,
        base_url=spec.base_url,
        api_version=spec.api_version,
        max_requests_per_minute=spec.max_requests_per_minute,
        max_retries=2,  # answer within seconds when the host is unreachable
    )
    with resource.get_client() as client:
        report = check_connection(
            client, base_url=resource.resolved_base_url(), api_version=spec.api_version
        )
    print(report.render())
    return 0 if report.ok else 1


def _demo(args: argparse.Namespace) -> int:
    from intercom_assets.cli.demo import run_demo

    return run_demo(
        days=args.days, conversations_per_day=args.conversations_per_day, seed=args.seed
    )


def _dev(args: argparse.Namespace) -> int:
    from intercom_assets.cli.dev import run_dev

    return run_dev(
        port=args.port,
        emulator_port=args.emulator_port,
        sensor_interval=args.sensor_interval,
        activity_per_minute=args.activity_per_minute,
        seed=args.seed,
        conversations_per_day=args.conversations_per_day,
        days=args.days,
        large_conversations=args.large_conversations,
    )


def _resync(args: argparse.Namespace) -> int:
    """Launch `intercom_resync_job` for the ids as a real run on this DAGSTER_HOME."""
    import dagster as dg

    from intercom_assets.cli.demo import prepare_home
    from intercom_assets.cli.launch import launch_and_wait

    prepare_home()
    config = {"conversation_ids": args.conversation_ids}
    with dg.DagsterInstance.get() as instance:
        run = launch_and_wait(
            instance,
            "intercom_resync_job",
            run_config={"ops": {"intercom_resync_conversations": {"config": config}}},
        )
    ok = run.status == dg.DagsterRunStatus.SUCCESS
    print(f"Re-sync {'succeeded' if ok else 'FAILED'} (run {run.run_id})")
    return 0 if ok else 1


def _query(args: argparse.Namespace) -> int:
    """Run one read-only query on a short connection: the supported way to read during syncs."""
    import logging

    import duckdb

    from intercom_assets.components import load_workspace_spec
    from intercom_assets.storage import reader, run_query

    database = load_workspace_spec().duckdb_path
    if not database.startswith("md:") and not Path(database).exists():
        print(
            f"No mirror at {database}: run `intercom-assets demo` or a sync first "
            "(or set INTERCOM_DUCKDB_PATH).",
            file=sys.stderr,
        )
        return 1
    try:
        with reader(database, logging.getLogger("intercom-assets")) as conn:
            print(run_query(conn, args.sql))
    except duckdb.Error as error:
        print(f"Query failed: {_one_line(error)}", file=sys.stderr)
        return 1
    return 0


def _one_line(error: Exception) -> str:
    """DuckDB's message without its caret diagram; a write gets the read-only explanation."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "read-only mode" in text:
        return "intercom-assets query opens the mirror read-only; writes are not allowed."
    return text


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["emulator"]:
        from intercom_assets.emulator.cli import serve

        return serve(argv[1:])
    parser = argparse.ArgumentParser(prog="intercom-assets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("test-connection", help="check the token, permissions and region")
    commands.add_parser("emulator", help="run a local Intercom API (see `emulator --help`)")
    demo = commands.add_parser("demo", help="sync an emulated workspace into DuckDB end to end")
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--conversations-per-day", type=int, default=50)
    demo.add_argument("--seed", type=int, default=7)
    dev = commands.add_parser(
        "dev", help="a live emulated workspace and the Dagster UI on the demo's DAGSTER_HOME"
    )
    env_port = os.environ.get
    dev.add_argument(
        "--port", type=int, default=int(env_port("INTERCOM_DEV_PORT") or 3000), help="UI port"
    )
    dev.add_argument(
        "--emulator-port", type=int, default=int(env_port("INTERCOM_EMULATOR_PORT") or 8765)
    )
    dev.add_argument("--sensor-interval", type=int, default=30, help="seconds between ticks")
    dev.add_argument("--activity-per-minute", type=float, default=6.0, help="live changes")
    dev.add_argument("--seed", type=int, default=7)
    dev.add_argument("--conversations-per-day", type=int, default=50)
    dev.add_argument("--days", type=int, default=30, help="history length on first use")
    dev.add_argument("--large-conversations", type=int, default=2, help="with > 500 parts")
    resync = commands.add_parser(
        "resync", help="fetch the given conversation ids again (runs intercom_resync_job)"
    )
    resync.add_argument("conversation_ids", nargs="+", metavar="ID")
    query = commands.add_parser("query", help="run a read-only SQL query on the mirror")
    query.add_argument("sql", help="e.g. SELECT count(*) FROM intercom.messages")
    args = parser.parse_args(argv)
    handlers = {
        "test-connection": _test_connection,
        "demo": _demo,
        "dev": _dev,
        "resync": _resync,
        "query": _query,
    }
    handler = handlers[args.command]
    try:
        return handler(args)
    except (ConfigError, ValueError) as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
