"""A partition-range backfill launched from the webserver: queued in PostgreSQL, launched by
the daemon through the code server, one run for the range, and an exact mirror."""

import pytest

from intercom_assets.emulator import Emulator
from intercom_assets_tests.production.operations import (
    backfill,
    history,
    launch_backfill,
    wait_for_backfill,
)
from intercom_assets_tests.production.postgres import Cluster
from intercom_assets_tests.production.processes import Deployment
from intercom_assets_tests.support import differences, query

pytestmark = pytest.mark.production


def test_range_backfill_is_queued_then_launched_by_the_daemon_and_lands_exact_data(
    deployment: Deployment, cluster: Cluster, live_emulator: Emulator, mirror_path
) -> None:
    first, last = history()
    backfill_id = launch_backfill(deployment, first, last)

    assert wait_for_backfill(deployment, backfill_id) == "COMPLETED_SUCCESS"
    (only,) = backfill(deployment, backfill_id)["runs"]  # single-run policy: one run
    assert only["status"] == "SUCCESS"
    stored = cluster.query("SELECT status FROM runs WHERE run_id = %s", (only["runId"],))
    assert stored == [("SUCCESS",)]
    tags = dict(
        cluster.query("SELECT key, value FROM run_tags WHERE run_id = %s", (only["runId"],))
    )
    assert tags["dagster/backfill"] == backfill_id
    assert (
        tags["dagster/asset_partition_range_start"],
        tags["dagster/asset_partition_range_end"],
    ) == (first, last)
    events = [
        row[0]
        for row in cluster.query(
            "SELECT dagster_event_type FROM event_logs WHERE run_id = %s"
            " AND dagster_event_type IS NOT NULL ORDER BY id",
            (only["runId"],),
        )
    ]
    # Queued by the coordinator, dequeued and launched by the daemon, run by a worker.
    lifecycle = [e for e in events if e.startswith("PIPELINE_") or e.startswith("RUN_")]
    assert lifecycle[:3] == ["PIPELINE_ENQUEUED", "PIPELINE_STARTING", "PIPELINE_START"]
    assert lifecycle[-1] == "PIPELINE_SUCCESS"

    assert differences(live_emulator, mirror_path) == []
    ((conversations,),) = query(mirror_path, "SELECT count(*) FROM intercom.conversations")
    assert conversations == len(live_emulator.conversation_ids()) == 18
