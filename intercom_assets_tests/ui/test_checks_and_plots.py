"""Issue 10: after a multi-day sync every UI view reports the same check statuses, and the Plots
of `intercom/conversations` show a real per-day series.

The emulated days hold different numbers of conversations (two of the middle day's are deleted
in "Intercom" before the sync) and one conversation has more than 500 parts, so the run's
`messages_complete` evaluation is a WARN while the other data checks pass, as in the demo.
The range run is launched through GraphQL (the other browser test launches from the UI);
the browser then reads the asset graph, the Checks tab, a check's page and the metadata Plots
(in Dagster 1.13 a Table/Plots toggle of the asset page's Metadata section, not a tab). The
plots are canvases, so the plotted values are asserted through GraphQL and the drawn chart by
its title and canvas; `test-artifacts/ui/checks-04-plots.png` shows the 6-4-6 series.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets.storage import PART_LIMIT
from intercom_assets_tests.support import created_on
from intercom_assets_tests.ui.dagster_dev import EMULATED_DAYS, LOCATION, DagsterDev

pytestmark = pytest.mark.browser

PER_DAY = 6
DELETED = 2
NOT_EVALUATED = "Not Evaluated"
WARNING_ICON = "warning_outline"
# How the Checks tab words an evaluation (a WARN is "Failed" with the warning icon).
LISTED = {
    "Passed": "Succeeded",
    "Warning": "Failed",
    "Failed": "Failed",
    NOT_EVALUATED: "Not evaluated",
}

_LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
_MATERIALIZATIONS = """
query Materializations($key: AssetKeyInput!) {
  assetOrError(assetKey: $key) {
    ... on Asset {
      assetMaterializations(limit: 100) {
        partition
        runId
        metadataEntries { label ... on IntMetadataEntry { intValue } }
      }
    }
  }
}
"""
_CHECKS = """
query Checks($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      assetChecksOrError {
        ... on AssetChecks {
          checks {
            name
            executionForLatestMaterialization { runId status evaluation { severity } }
          }
        }
      }
    }
  }
}
"""


@pytest.fixture
def live_emulator() -> Iterator[Emulator]:
    """Three days ending now, one conversation over 500 parts (a WARN), days of unequal size."""
    config = EmulatorConfig(
        days=EMULATED_DAYS,
        conversations_per_day=PER_DAY,
        large_conversations=1,
        window_seconds=1.0,
    )
    with running_emulator(config) as emulator:
        middle = datetime.now(UTC).date() - timedelta(days=1)
        for conversation_id in created_on(emulator, middle)[:DELETED]:
            emulator.delete(conversation_id)
        yield emulator


def truncated_day(emulator: Emulator) -> str:
    """The created day of the one conversation over 500 parts (it moves with the clock): the
    check page names it among `incomplete_days`."""
    (day,) = {
        datetime.fromtimestamp(emulator.snapshot(cid)["created_at"], UTC).date().isoformat()
        for cid in emulator.conversation_ids()
        if emulator.snapshot(cid)["conversation_parts"]["total_count"] > PART_LIMIT
    }
    return day


def launch_range(dev: DagsterDev, first: str, last: str) -> str:
    """One run of the sync job over `first`..`last`, as a UI range launch creates it."""
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": "__repository__",
            "jobName": "intercom_sync_job",
        },
        "runConfigData": {},
        "executionMetadata": {
            "tags": [
                {"key": "dagster/asset_partition_range_start", "value": first},
                {"key": "dagster/asset_partition_range_end", "value": last},
            ]
        },
    }
    launched = dev.graphql(_LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def check_statuses(dev: DagsterDev, asset: list[str], run_id: str) -> dict[str, str]:
    """Each check of the asset and the run's evaluation of it: Passed, Warning or Failed, or
    Not Evaluated (the freshness checks run in their own job, never in a sync run)."""
    found = dev.graphql(_CHECKS, key={"path": asset})["assetNodeOrError"]
    statuses = {}
    for check in found["assetChecksOrError"]["checks"]:
        execution = check["executionForLatestMaterialization"]
        if not execution or execution["runId"] != run_id:
            statuses[check["name"]] = NOT_EVALUATED
        elif execution["status"] == "SUCCEEDED":
            statuses[check["name"]] = "Passed"
        else:
            severity = execution["evaluation"]["severity"]
            statuses[check["name"]] = "Warning" if severity == "WARN" else "Failed"
    return statuses


def row_counts(dev: DagsterDev, asset: list[str], run_id: str) -> dict[str, int]:
    """`dagster/row_count` of each partition the run materialized."""
    found = dev.graphql(_MATERIALIZATIONS, key={"path": asset})["assetOrError"]
    counts: dict[str, Any] = {}
    for event in found["assetMaterializations"]:
        if event["runId"] == run_id:
            entries = {e["label"]: e.get("intValue") for e in event["metadataEntries"]}
            counts[event["partition"]] = entries["dagster/row_count"]
    return counts


def test_views_agree_on_check_statuses_and_plots_show_per_day_rows(
    dagster_dev: DagsterDev,
    live_emulator: Emulator,
    page: Page,
    screenshot: Callable[[str], None],
) -> None:
    """Graph, Checks tab and check page show the run's statuses; the row-count plot varies."""
    expect.set_options(timeout=30_000)  # a busy machine renders slowly
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=n)).isoformat() for n in reversed(range(EMULATED_DAYS))]
    run_id = launch_range(dagster_dev, days[0], days[-1])
    assert dagster_dev.wait_for_run(run_id, timeout=240) == "SUCCESS", f"range run {run_id}"

    # The run's own evaluations, as the webserver reports them: the demo's statuses.
    messages = check_statuses(dagster_dev, ["intercom", "messages"], run_id)
    conversations = check_statuses(dagster_dev, ["intercom", "conversations"], run_id)
    assert messages == {
        "messages_complete": "Warning",
        "message_ids_unique": "Passed",
        "messages_have_conversation": "Passed",
        "yesterday_synced": NOT_EVALUATED,
    }
    assert conversations == {
        "days_synced": "Passed",
        "conversation_ids_unique": "Passed",
        "conversations_in_partition_day": "Passed",
        "sync_lag": NOT_EVALUATED,
    }

    # Per-day row counts differ: the middle day lost two conversations before the sync.
    counts = row_counts(dagster_dev, ["intercom", "conversations"], run_id)
    assert counts == {days[0]: PER_DAY, days[1]: PER_DAY - DELETED, days[2]: PER_DAY}

    # 1. The asset graph: each node's check summary, the WARN as the only warning icon.
    page.goto(f"{dagster_dev.url}/assets/intercom/messages?view=lineage")
    skip_community_modal = page.get_by_role("button", name="Skip")
    skip_community_modal.click()
    expect(skip_community_modal).to_be_hidden()
    for statuses in (messages, conversations):
        passed = sum(status == "Passed" for status in statuses.values())
        expect(page.get_by_text(f"{passed} / {len(statuses)} Passed", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=WARNING_ICON)).to_have_count(1)
    screenshot("checks-01-graph")

    # 2. The Checks tab lists every check with the same status.
    page.goto(f"{dagster_dev.url}/assets/intercom/messages?view=checks")
    for name, status in messages.items():
        row = page.locator("[class*=checkRow]").filter(has=page.get_by_title(name, exact=True))
        expect(row).to_contain_text(LISTED[status])
        if status == "Warning":
            expect(row.get_by_role("img", name=WARNING_ICON)).to_be_visible()
    screenshot("checks-02-list")

    # 3. The check's page agrees, and names the affected day.
    page.locator("[class*=checkRow]").filter(
        has=page.get_by_title("messages_complete", exact=True)
    ).click()
    result = page.locator("[class*=BaseTag]").filter(has=page.get_by_role("img", name=WARNING_ICON))
    expect(result).to_have_text("Failed")
    expect(page.get_by_text("Evaluation result", exact=True)).to_be_visible()
    expect(page.get_by_text(truncated_day(live_emulator), exact=True)).to_be_visible()
    screenshot("checks-03-page")

    # 4. The asset's metadata plots, per partition: the row-count series is drawn.
    page.goto(f"{dagster_dev.url}/assets/intercom/conversations")
    page.get_by_role("button", name="Plots").click()
    page.get_by_role("button", name="Partitions").click()
    title = page.get_by_text("dagster/row_count", exact=True)
    title.scroll_into_view_if_needed()
    expect(title).to_be_visible()
    expect(page.locator("canvas").first).to_be_visible()
    screenshot("checks-04-plots")
