"""`intercom-assets demo`: the main job on a fresh machine, against the local emulator.

It backfills every day of the emulated history as one run in a persistent DAGSTER_HOME, so
`dagster dev` on the same home then shows the materializations and check results.
"""

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from intercom_assets.emulator import EmulatorConfig, running_emulator
from intercom_assets.mirror.spec import MirrorSpec

DAGSTER_YAML = """\
telemetry:
  enabled: false
"""


def _prepare_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _table_counts(database: str) -> dict[str, int]:
    import logging

    from intercom_assets.storage import reader

    with reader(database, logging.getLogger("demo")) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM intercom.{table}").fetchone()[0]
            for table in ("conversations", "messages", "deleted_conversations")
        }


def _kpis(database: str) -> list[str]:
    import logging

    from intercom_assets.analytics.summary import kpi_lines
    from intercom_assets.storage import reader

    with reader(database, logging.getLogger("demo")) as conn:
        return kpi_lines(conn)


def run_demo(days: int, conversations_per_day: int, seed: int) -> int:
    home = _prepare_home()
    database = os.environ.setdefault("INTERCOM_DUCKDB_PATH", MirrorSpec().duckdb_path)
    today = datetime.now(UTC).date()
    first_day = today - timedelta(days=days - 1)
    config = EmulatorConfig(seed=seed, days=days, conversations_per_day=conversations_per_day)
    with running_emulator(config) as emulator:
        os.environ.update(
            INTERCOM_BASE_URL=emulator.base_url,
            INTERCOM_ACCESS_TOKEN=emulator.token,
            INTERCOM_START_DATE=os.environ.get("INTERCOM_START_DATE") or first_day.isoformat(),
        )
        print(f"Emulated Intercom at {emulator.base_url}: {days} days x {conversations_per_day}")
        from intercom_assets.definitions import defs

        started = time.monotonic()
        with dg.DagsterInstance.get() as instance:
            result = defs.resolve_job_def("intercom_sync_job").execute_in_process(
                instance=instance,
                tags={
                    "dagster/asset_partition_range_start": first_day.isoformat(),
                    "dagster/asset_partition_range_end": today.isoformat(),
                },
                run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
                raise_on_error=False,
            )
        elapsed = time.monotonic() - started
        requests = dict(emulator.requests)
    _print_summary(result, database, home, elapsed, requests)
    return 0 if result.success else 1


def _print_summary(result, database: str, home: Path, elapsed: float, requests: dict) -> None:
    counts = _table_counts(database)
    print(f"\nSync {'succeeded' if result.success else 'FAILED'} in {elapsed:.1f}s")
    print(f"API requests by endpoint: {requests}")
    for table, count in counts.items():
        print(f"  intercom.{table}: {count} rows")
    print("Asset checks:")
    for evaluation in result.get_asset_check_evaluations():
        status = "passed" if evaluation.passed else f"FAILED ({evaluation.severity.value})"
        print(f"  {evaluation.asset_key.to_user_string()} / {evaluation.check_name}: {status}")
        if not evaluation.passed and evaluation.description:
            print(f"    {evaluation.description}")
    print("\n".join(_kpis(database)))
    print(f"\nDuckDB file: {Path(database).resolve()}")
    print(
        "Query it (read-only, safe between a sync's batches):\n"
        '  intercom-assets query "SELECT part_type, count(*) AS messages'
        ' FROM intercom.messages GROUP BY 1 ORDER BY 2 DESC"'
    )
    print(
        "Open the UI on the same instance (runs, materializations, checks):\n"
        f"  DAGSTER_HOME={home} dagster dev -w workspace.yaml"
    )
