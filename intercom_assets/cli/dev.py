"""`intercom-assets dev`: a live emulated workspace plus the Dagster UI, ready to click.

Starts the emulator (the demo's anchored history plus ongoing activity) and `dagster dev` on
the demo's DAGSTER_HOME with the token, base URL, start date (the emulator's first day) and a
short sensor interval set, so Test Connection, Materialize, the backfill dialog, the sensor
and the schedules all work at once. Ctrl-C stops both.
"""

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

from intercom_assets.cli.demo import prepare_home
from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets.emulator.anchor import resolve_first_day
from intercom_assets.mirror.spec import MirrorSpec

WORKSPACE_YAML = """\
load_from:
  - python_module:
      module_name: intercom_assets.definitions
      location_name: intercom_assets
"""


def run_dev(
    *,
    port: int,
    emulator_port: int,
    sensor_interval: int,
    activity_per_minute: float,
    seed: int,
    conversations_per_day: int,
    days: int,
    large_conversations: int = 2,
) -> int:
    home = prepare_home()
    first_day = resolve_first_day(home, days)
    config = EmulatorConfig(
        seed=seed,
        conversations_per_day=conversations_per_day,
        first_day=first_day,
        activity_per_minute=activity_per_minute,
        large_conversations=large_conversations,
    )
    try:
        emulator = Emulator(config, port=emulator_port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(
            f"intercom-assets dev: port {emulator_port} is already in use (another "
            "`intercom-assets dev` or emulator?): stop it or pass --emulator-port N.",
            file=sys.stderr,
        )
        return 2
    workspace = home / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "INTERCOM_BASE_URL": emulator.base_url,
        "INTERCOM_ACCESS_TOKEN": emulator.token,
        "INTERCOM_START_DATE": first_day,
        "INTERCOM_SENSOR_INTERVAL_SECONDS": str(sensor_interval),
        "INTERCOM_DUCKDB_PATH": os.environ.get("INTERCOM_DUCKDB_PATH", MirrorSpec().duckdb_path),
        # `dagster dev -w` (any directory, no project needed) is what `dg dev` runs; its
        # "use dg dev" notice would only confuse here.
        "PYTHONWARNINGS": "ignore:Function `dev_command` is superseded",
    }
    emulator.start()
    activity = f", {activity_per_minute:g} changes/min" if activity_per_minute else ""
    print(
        f"Emulated Intercom at {emulator.base_url} (history from {first_day}{activity}; "
        f"control: {emulator.base_url}/_emulator/health)\n"
        f"Dagster UI at http://127.0.0.1:{port} on DAGSTER_HOME={home} "
        f"(sensor every {sensor_interval}s). Ctrl-C stops both.",
        flush=True,
    )
    dagster = Path(sys.executable).parent / "dagster"
    cmd = [str(dagster), "dev", "-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)]
    # Ctrl-C and SIGTERM both stop everything, even when started from a shell's background
    # job (which would otherwise leave SIGINT ignored here and in `dagster dev`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    process = subprocess.Popen(cmd, env=env)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return _stop(process)
    finally:
        emulator.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen) -> int:
    """Let `dagster dev` shut its webserver, daemon and code server down, then insist."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.terminate()
        process.wait(timeout=10)
    return 0
