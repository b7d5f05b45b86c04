"""`intercom-assets`: test-connection, emulator, demo."""

import argparse
import os
import sys

from intercom_assets.mirror.spec import ConfigError


def _test_connection(_: argparse.Namespace) -> int:
    """The "Test Connection" button: /me, a one-result search, one GET; advice on failure."""
    from intercom_assets.client.connection_check import check_connection
    from intercom_assets.components import load_workspace_spec
    from intercom_assets.mirror.resources import IntercomResource

    spec = load_workspace_spec()
    token = os.environ.get(spec.access_token_env, "").strip()
    if not token:
        print(f"{spec.access_token_env} is not set: paste your Intercom access token into it.")
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


def _query(args: argparse.Namespace) -> int:
    """Run one read-only query on a short connection: the supported way to read during syncs."""
    import logging

    from intercom_assets.components import load_workspace_spec
    from intercom_assets.storage import reader

    with reader(load_workspace_spec().duckdb_path, logging.getLogger("intercom-assets")) as conn:
        print(conn.sql(args.sql))
    return 0


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
    query = commands.add_parser("query", help="run a read-only SQL query on the mirror")
    query.add_argument("sql", help="e.g. SELECT count(*) FROM intercom.messages")
    args = parser.parse_args(argv)
    handler = {"test-connection": _test_connection, "demo": _demo, "query": _query}[args.command]
    try:
        return handler(args)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
