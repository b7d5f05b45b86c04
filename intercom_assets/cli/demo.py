"""`intercom-assets demo`: the main job on a fresh machine, against the local emulator.

It backfills every day of the emulated history as one real run of the code location (a
repository origin, launched like the UI launches it) in a persistent DAGSTER_HOME, so
`intercom-assets dev` on the same home shows the run, the materializations and the checks,
and serves the same workspace: the emulator's first day is recorded beside the home.
"""

import logging
import os
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType

from intercom_assets.emulator import EmulatorConfig, running_emulator
from intercom_assets.emulator.anchor import default_home, resolve_first_day
from intercom_assets.mirror.spec import MirrorSpec

DAGSTER_YAML = """\
telemetry:
  enabled: false
"""
DEFAULTS = {"seed": 7, "conversations_per_day": 50}


def prepare_home() -> Path:
    """The demo's DAGSTER_HOME (telemetry off), exported for everything started from here."""
    home = default_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def command(*args: str, seed: int = 7, conversations_per_day: int = 50) -> str:
    """An `intercom-assets` command line that works as printed from this directory: the
    venv's script by path, and the settings that differ from the defaults spelled out."""
    script = Path(sys.executable).parent / "intercom-assets"
    if script.exists():
        try:
            exe = str(script.relative_to(Path.cwd()))
        except ValueError:
            exe = str(script)
    else:
        exe = f"{sys.executable} -m intercom_assets.cli.main"
    env = []
    home = Path(os.environ["DAGSTER_HOME"])
    if home != Path(".dagster_home").resolve():
        env.append(f"DAGSTER_HOME={shlex.quote(str(home))}")
    default = MirrorSpec().duckdb_path
    database = os.environ.get("INTERCOM_DUCKDB_PATH", default)
    if database != default:
        env.append(f"INTERCOM_DUCKDB_PATH={shlex.quote(database)}")
    for port in ("INTERCOM_DEV_PORT", "INTERCOM_EMULATOR_PORT"):  # when 3000 / 8765 are taken
        if os.environ.get(port) and args[:1] == ("dev",):
            env.append(f"{port}={shlex.quote(os.environ[port])}")
    flags = []
    if args[:1] == ("dev",):
        if seed != DEFAULTS["seed"]:
            flags += ["--seed", str(seed)]
        if conversations_per_day != DEFAULTS["conversations_per_day"]:
            flags += ["--conversations-per-day", str(conversations_per_day)]
    return " ".join([*env, exe, *(shlex.quote(arg) for arg in args), *flags])


def _table_counts(database: str) -> dict[str, int]:
    from intercom_assets.storage import reader, table_counts

    with reader(database, logging.getLogger("demo")) as conn:
        return table_counts(conn)


def _kpis(database: str) -> list[str]:
    import logging

    from intercom_assets.analytics.summary import kpi_lines
    from intercom_assets.storage import reader

    with reader(database, logging.getLogger("demo")) as conn:
        return kpi_lines(conn)


def run_demo(days: int, conversations_per_day: int, seed: int) -> int:
    from intercom_assets.cli.launch import launch_and_wait
    from intercom_assets.storage import EXAMPLE_QUERY

    home = prepare_home()
    database = os.environ.setdefault("INTERCOM_DUCKDB_PATH", MirrorSpec().duckdb_path)
    first_day = resolve_first_day(home, days)
    today = datetime.now(UTC).date().isoformat()
    config = EmulatorConfig(
        seed=seed, conversations_per_day=conversations_per_day, first_day=first_day
    )
    with running_emulator(config) as emulator:
        os.environ.update(
            INTERCOM_BASE_URL=emulator.base_url,
            INTERCOM_ACCESS_TOKEN=emulator.token,
            INTERCOM_START_DATE=first_day,
        )
        print(
            f"Emulated Intercom at {emulator.base_url}: {first_day} .. {today}, "
            f"{conversations_per_day} conversations a day (seed {seed})",
            flush=True,
        )
        started = time.monotonic()
        with dg.DagsterInstance.get() as instance:
            run = launch_and_wait(
                instance,
                "intercom_sync_job",
                tags={
                    "dagster/asset_partition_range_start": first_day,
                    "dagster/asset_partition_range_end": today,
                    "intercom/launched_by": "demo",
                },
                run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            )
            evaluations = [
                record.get_dagster_event().asset_check_evaluation_data
                for record in instance.all_logs(
                    run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
                )
            ]
        elapsed = time.monotonic() - started
        requests = dict(emulator.requests)
    success = run.status == dg.DagsterRunStatus.SUCCESS
    _print_summary(run, success, evaluations, database, elapsed, requests)
    print(
        "\nNext steps (each works as printed from this directory):\n"
        "  The same workspace, live, with the Dagster UI (Test Connection, backfills,\n"
        "  sensor and schedules; Ctrl-C stops both):\n"
        f"  {command('dev', seed=seed, conversations_per_day=conversations_per_day)}\n"
        "  Query the mirror (read-only, safe between a sync's batches):\n"
        f"  {command('query', EXAMPLE_QUERY)}"
    )
    return 0 if success else 1


def _print_summary(
    run: dg.DagsterRun,
    success: bool,
    evaluations: list[dg.AssetCheckEvaluation],
    database: str,
    elapsed: float,
    requests: dict[str, int],
) -> None:
    print(f"\nSync {'succeeded' if success else 'FAILED'} in {elapsed:.1f}s (run {run.run_id})")
    print(f"API requests by endpoint: {requests}")
    if success or Path(database).exists():
        for table, count in _table_counts(database).items():
            print(f"  intercom.{table}: {count} rows")
    print("Asset checks:")
    for evaluation in evaluations:
        status = "passed" if evaluation.passed else f"FAILED ({evaluation.severity.value})"
        print(f"  {evaluation.asset_key.to_user_string()} / {evaluation.check_name}: {status}")
        if not evaluation.passed and evaluation.description:
            print(f"    {evaluation.description}")
    print("\n".join(_kpis(database)))
    print(f"\nDuckDB file: {Path(database).resolve()}")
