"""Issue 12 end to end: the README's setup flow, all in the UI, on `intercom-assets dev`.

The real `intercom-assets dev` (a live emulated workspace plus `dagster dev`, 30-second sensor
interval) runs on a fresh DAGSTER_HOME; headless Chromium runs Test Connection from the
Launchpad (every permission ok), backfills the history from the asset graph, reads the checks,
turns the sensor and schedules on; "Intercom" changes through the emulator's control endpoint
and the changes reach DuckDB within two sensor intervals; a revoked token makes Test Connection
and the next run show the revoked-token advice. Ctrl-C then stops everything.
"""

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import psutil
import pytest
import requests
from playwright.sync_api import Page, expect

from intercom_assets.storage import reader
from intercom_assets_tests.ui.dagster_dev import REPO_ROOT, DagsterDev, wait_for

pytestmark = pytest.mark.browser

SENSOR_INTERVAL = 30
SENSOR = "intercom_updates_sensor"
SCHEDULES = ("intercom_daily_schedule", "intercom_reconcile_schedule")
ADVICE = "Generate a new token if the old one was revoked"
_RUNS = """
query Runs { runsOrError(limit: 30) { ... on Runs { results {
  runId status jobName tags { key value } } } } }
"""


def confirm_additional_assets(page: Page) -> None:
    """The sync multi-asset cannot be subset: accept the assets the UI says come along."""
    expect(page.get_by_text("Additional assets will be materialized")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def intercom_dev(tmp_path: Path, artifacts: Path) -> Iterator[tuple[DagsterDev, str, Path]]:
    """`intercom-assets dev` on free ports and a fresh home; stopped with Ctrl-C (SIGINT)."""
    ui_port, emulator_port = _free_port(), _free_port()
    database = tmp_path / "mirror.duckdb"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("INTERCOM_", "DAGSTER_"))},
        "DAGSTER_HOME": str(tmp_path / "home"),
        "INTERCOM_DUCKDB_PATH": str(database),
    }
    args = ["--port", str(ui_port), "--emulator-port", str(emulator_port), "--days", "3"]
    args += ["--conversations-per-day", "6", "--large-conversations", "0"]
    args += ["--sensor-interval", str(SENSOR_INTERVAL), "--activity-per-minute", "0"]
    log = artifacts / "intercom-assets-dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "intercom_assets.cli.main", "dev", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    dev = DagsterDev(f"http://127.0.0.1:{ui_port}", process, log)
    try:
        wait_for(dev.is_serving, "intercom-assets dev to answer /server_info", 150)
        yield dev, f"http://127.0.0.1:{emulator_port}", database
    finally:
        family = []
        with suppress(psutil.NoSuchProcess):
            family = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGINT)  # what Ctrl-C does
        try:
            stopped = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            stopped = None
        _, alive = psutil.wait_procs(family, timeout=15)
        for leftover in alive:
            leftover.kill()
        assert stopped == 0 and not alive, f"Ctrl-C left {[p.pid for p in alive]} ({stopped})"


def _runs(dev: DagsterDev) -> list[dict]:
    return dev.graphql(_RUNS)["runsOrError"]["results"]


def _launch_test_connection(page: Page, dev: DagsterDev) -> str:
    page.goto(f"{dev.url}/locations/intercom_assets/jobs/intercom_test_connection_job/playground")
    page.get_by_role("button", name=re.compile("Launch run", re.I)).click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]{36}"), timeout=60_000)
    return page.url.split("/runs/")[1].split("?")[0]


def _toggle_on(page: Page, dev: DagsterDev, kind: str, name: str) -> None:
    page.goto(f"{dev.url}/locations/intercom_assets/{kind}/{name}")
    toggle = page.get_by_role("checkbox").first
    if not toggle.is_checked():
        page.locator("label").filter(has=toggle).first.click()
    expect(toggle).to_be_checked()


def _control(emulator: str, path: str, **body: object) -> dict:
    response = requests.post(f"{emulator}/_emulator/{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def test_the_setup_flow_in_the_ui(
    intercom_dev: tuple[DagsterDev, str, Path],
    page: Page,
    screenshot: Callable[[str], None],
) -> None:
    dev, emulator, database = intercom_dev
    health = requests.get(f"{emulator}/_emulator/health", timeout=10).json()
    first_day = health["first_day"]

    # 1. Test Connection from the Launchpad: every permission ok.
    page.goto(f"{dev.url}/asset-groups")
    page.get_by_role("button", name="Skip").click()  # the first-visit community modal
    run_id = _launch_test_connection(page, dev)
    assert dev.wait_for_run(run_id) == "SUCCESS"
    expect(page.get_by_text("Intercom connection: OK").first).to_be_visible()
    expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible()
    screenshot("setup-01-test-connection-ok")

    # 2. Backfill every day from the asset graph (one run: single-run backfill policy).
    page.goto(f"{dev.url}/asset-groups")
    page.get_by_role("button").filter(has=page.get_by_text("conversations", exact=True)).click()
    page.get_by_role("button").filter(has=page.get_by_text("messages", exact=True)).click(
        modifiers=["Shift"]
    )
    page.get_by_role("button", name=re.compile(r"Materialize selected \(2\)")).click()
    confirm_additional_assets(page)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="All", exact=True).click()
    expect(dialog.get_by_text("3 partitions", exact=True)).to_be_visible()
    screenshot("setup-02-backfill-dialog")
    dialog.get_by_role("button", name="Launch backfill").click()

    def backfill_run() -> str | None:
        runs = [r for r in _runs(dev) if any(t["key"] == "dagster/backfill" for t in r["tags"])]
        return runs[0]["runId"] if runs else None

    backfill_run_id = wait_for(backfill_run, "the backfill's run", 90)
    assert dev.wait_for_run(backfill_run_id, timeout=240) == "SUCCESS"

    # 3. The checks are consistent.
    page.goto(f"{dev.url}/assets/intercom/messages")
    page.get_by_role("tab", name="Checks").click()
    for check in ("messages_complete", "message_ids_unique", "messages_have_conversation"):
        expect(page.get_by_text(check, exact=True).first).to_be_visible()
    expect(page.get_by_text("Failed", exact=True)).to_have_count(0)
    screenshot("setup-03-checks")

    # 4. Save & Activate: the sensor and the schedules on.
    _toggle_on(page, dev, "sensors", SENSOR)
    for schedule in SCHEDULES:
        _toggle_on(page, dev, "schedules", schedule)
    page.goto(f"{dev.url}/automation")
    # on: the sensor, two schedules, the freshness schedule and both alert sensors (defaults)
    expect(page.get_by_role("checkbox", checked=True)).to_have_count(6)
    screenshot("setup-04-automation-on")
    dev.wait_for_tick(SENSOR, timeout=SENSOR_INTERVAL + 60)
    # The first tick may already sync the last minutes' updates: let those runs finish first.
    initial_runs = frozenset(dev.requested_runs(SENSOR))
    for initial_run in initial_runs:
        assert dev.wait_for_run(initial_run, timeout=120) == "SUCCESS"

    # 5. "Intercom" changes; within two sensor intervals the changes are in DuckDB.
    ids = requests.get(f"{emulator}/_emulator/conversations?limit=6", timeout=10).json()["ids"]
    replied, closed = ids[0], ids[1]
    changed_at = time.monotonic()
    new_parts = _control(emulator, f"conversations/{replied}/reply", count=2)["part_ids"]
    _control(emulator, f"conversations/{closed}/close")
    sensor_runs = dev.wait_for_requested_runs(
        SENSOR, timeout=2 * SENSOR_INTERVAL + 30, known=initial_runs
    )
    for sensor_run in sensor_runs:
        assert dev.wait_for_run(sensor_run, timeout=120) == "SUCCESS"
    with reader(str(database), logging.getLogger(__name__)) as conn:
        stored = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM intercom.messages WHERE conversation_id = ?", [replied]
            ).fetchall()
        }
        (state,) = conn.execute(
            "SELECT state FROM intercom.conversations WHERE id = ?", [closed]
        ).fetchone()
    assert set(new_parts) <= stored and state == "closed"
    assert time.monotonic() - changed_at < 2 * SENSOR_INTERVAL + 60
    page.goto(f"{dev.url}/runs")
    expect(page.get_by_role("link", name=SENSOR).first).to_be_visible()
    screenshot("setup-05-sensor-runs")

    # 6. A revoked token: Test Connection and the next run show the revoked-token advice.
    _control(emulator, "tokens", token="demo-token", mode="revoked")
    run_id = _launch_test_connection(page, dev)
    assert dev.wait_for_run(run_id) == "FAILURE"
    expect(page.get_by_text(re.compile(ADVICE)).first).to_be_visible()
    screenshot("setup-06-test-connection-revoked")
    page.goto(f"{dev.url}/asset-groups")
    page.get_by_role("button").filter(has=page.get_by_text("conversations", exact=True)).click()
    page.get_by_role("button").filter(has=page.get_by_text("messages", exact=True)).click(
        modifiers=["Shift"]
    )
    page.get_by_role("button", name=re.compile(r"Materialize selected \(2\)")).click()
    confirm_additional_assets(page)
    dialog = page.get_by_role("dialog")
    partitions = dialog.get_by_role("textbox")
    partitions.fill(first_day)
    partitions.press("Enter")
    dialog.get_by_role("button", name="Launch 1 run").click()
    page.get_by_role("region", name=re.compile("Notifications")).get_by_role(
        "link", name="View"
    ).click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    failed_run = page.url.split("/runs/")[1].split("?")[0]
    assert dev.wait_for_run(failed_run) == "FAILURE"
    expect(page.get_by_text(re.compile(ADVICE)).first).to_be_visible()
    screenshot("setup-07-run-revoked")
