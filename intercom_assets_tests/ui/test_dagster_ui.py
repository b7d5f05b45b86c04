"""Issue 4 end to end: an operator drives Dagster's UI against the Intercom emulator.

`dagster dev` (webserver + daemon, fresh DAGSTER_HOME, 5-second sensor interval) serves the code
location on a live emulator; headless Chromium does what a person would: materialize one day
from the asset graph, read `messages_complete` on the Checks tab, turn the updates sensor on and
watch it sync a change made in "Intercom". Screenshots land in the artifacts folder.
"""

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from intercom_assets.emulator import Emulator
from intercom_assets.storage import reader
from intercom_assets_tests.support import created_on
from intercom_assets_tests.ui.dagster_dev import DagsterDev

pytestmark = pytest.mark.browser  # skipped with a reason when /usr/bin/chromium is missing

SENSOR = "intercom_updates_sensor"


def sidebar_asset(page: Page, name: str) -> Locator:
    """An asset's entry in the lineage page's asset list (its label, not a longer name)."""
    return page.get_by_role("button").filter(has=page.get_by_text(name, exact=True))


def launch_partition_from_asset_graph(
    page: Page, day: str, screenshot: Callable[[str], None]
) -> str:
    """Select both assets on the lineage page, launch one run of `day`; returns the run id."""
    skip_community_modal = page.get_by_role("button", name="Skip")
    skip_community_modal.click()
    expect(skip_community_modal).to_be_hidden()
    sidebar_asset(page, "conversations").click()
    sidebar_asset(page, "messages").click(modifiers=["Shift"])
    screenshot("01-asset-graph")

    page.get_by_role("button", name=re.compile(r"Materialize selected \(2\)")).click()
    # The sync multi-asset cannot be subset: the UI says which assets come along.
    expect(page.get_by_text("Additional assets will be materialized")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    dialog = page.get_by_role("dialog")
    partitions = dialog.get_by_role("textbox")
    partitions.fill(day)
    partitions.press("Enter")
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
    screenshot("02-launch-dialog")
    dialog.get_by_role("button", name="Launch 1 run").click()

    toast = page.get_by_role("region", name=re.compile("Notifications"))
    toast.get_by_role("link", name="View").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    return page.url.split("/runs/")[1].split("?")[0]


def test_operator_materializes_a_day_then_the_sensor_keeps_it_current(
    dagster_dev: DagsterDev,
    live_emulator: Emulator,
    duckdb_path: Path,
    page: Page,
    screenshot: Callable[[str], None],
) -> None:
    """Materialize a day from the UI, read its check, then let the sensor sync a change."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    day = yesterday.isoformat()

    # 1. From the asset graph, materialize yesterday's partition of both assets.
    page.goto(f"{dagster_dev.url}/asset-groups")
    run_id = launch_partition_from_asset_graph(page, day, screenshot)

    # 2. The run page shows it succeed.
    assert dagster_dev.wait_for_run(run_id) == "SUCCESS", f"manual run {run_id} did not succeed"
    expect(page.get_by_text("Success", exact=True).first).to_be_visible()
    expect(page.get_by_text(f"partition: {day}")).to_be_visible()
    expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible()
    screenshot("03-run-success")

    # 3. The asset's Checks tab shows messages_complete passed over the whole mirror (that day).
    page.goto(f"{dagster_dev.url}/assets/intercom/messages")
    page.get_by_role("tab", name="Checks").click()
    page.get_by_text("messages_complete", exact=True).first.click()
    expect(page.get_by_text("Passed", exact=True)).to_be_visible()
    stored = len(created_on(live_emulator, yesterday))
    expect(page.get_by_text(f"All {stored} stored conversations have every part")).to_be_visible()
    screenshot("04-messages-complete")

    # 4. Turn the updates sensor on; its first tick sets its cursor (and may sync the last
    # minutes' updates: those runs must succeed too).
    page.goto(f"{dagster_dev.url}/automation")
    page.get_by_role("link", name=SENSOR).click()
    page.get_by_role("row", name="Running").locator("label").click()
    expect(page.get_by_role("checkbox")).to_be_checked()
    dagster_dev.wait_for_tick(SENSOR)
    initial_runs = frozenset(dagster_dev.requested_runs(SENSOR))
    for initial_run in initial_runs:
        assert dagster_dev.wait_for_run(initial_run) == "SUCCESS", f"first tick's {initial_run}"
    page.reload()
    expect(page.get_by_role("checkbox")).to_be_checked()
    expect(page.get_by_text("Timestamp", exact=True)).to_be_visible()  # the ticks table
    screenshot("05-sensor-running")

    # 5. Something happens in Intercom: a reply on one conversation, another one closed.
    replied, closed = created_on(live_emulator, yesterday)[:2]
    new_part_ids = live_emulator.add_parts(replied, 2)
    live_emulator.close(closed)

    # 6. The sensor's run appears on the Runs page; opened, it shows success.
    sensor_runs = dagster_dev.wait_for_requested_runs(SENSOR, known=initial_runs)
    for sensor_run in sensor_runs:
        assert dagster_dev.wait_for_run(sensor_run) == "SUCCESS", f"sensor run {sensor_run}"
    page.goto(f"{dagster_dev.url}/runs")
    expect(page.get_by_role("link", name=SENSOR)).to_have_count(
        len(sensor_runs) + len(initial_runs)
    )
    for sensor_run in sensor_runs:
        expect(page.get_by_role("link", name=sensor_run[:8])).to_be_visible()
    screenshot("06-runs-page")
    page.get_by_role("link", name=sensor_runs[0][:8]).click()
    expect(page.get_by_text("Success", exact=True).first).to_be_visible()
    # Sensor runs carry the changed ids in run config, not a partition tag.
    expect(page.get_by_text("Launched by", exact=False).first).to_be_visible()
    expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible()
    screenshot("07-sensor-run-success")

    # 7. The mirror has the new replies and the closed state.
    with reader(str(duckdb_path), logging.getLogger(__name__)) as conn:
        stored = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM intercom.messages WHERE conversation_id = ?", [replied]
            ).fetchall()
        }
        (state,) = conn.execute(
            "SELECT state FROM intercom.conversations WHERE id = ?", [closed]
        ).fetchone()
    assert set(new_part_ids) <= stored
    assert state == "closed"
