"""Operator tools: Test Connection as a job, re-syncing listed ids, and the failure alerts."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import dagster as dg
import pytest

from intercom_assets.definitions import defs
from intercom_assets.emulator import Emulator
from intercom_assets.mirror.alerts import WEBHOOK_ENV, check_alerts, failure_alert
from intercom_assets.mirror.resources import IntercomResource, missing_token_message
from intercom_assets_tests.support import (
    HISTORY,
    backfill,
    make_resources,
    query,
    tick,
    updates_sensor,
)

PERMISSIONS = ["token (/me)", "read conversations (search)", "read conversation parts (GET)"]


def _run(name: str, resources: dict, instance: dg.DagsterInstance, **kwargs):
    return defs.resolve_job_def(name).execute_in_process(
        resources=resources, instance=instance, raise_on_error=False, **kwargs
    )


def _step_metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    for event in result.all_events:
        if event.is_successful_output:
            return {k: v.value for k, v in event.step_output_data.metadata.items()}
        if event.is_step_failure:
            metadata = event.step_failure_data.user_failure_data.metadata
            return {k: v.value for k, v in metadata.items()}
    raise AssertionError("no output or failure")


def test_test_connection_job_reports_workspace_region_and_each_permission(
    emulator: Emulator, duckdb_path: Path, _isolated_instance: dg.DagsterInstance
) -> None:
    result = _run(
        "intercom_test_connection_job", make_resources(emulator, duckdb_path), _isolated_instance
    )
    assert result.success
    metadata = _step_metadata(result)
    assert {k: metadata[k] for k in ("status", "workspace", "region", "app_id")} == {
        "status": "OK",
        "workspace": "Emulated Workspace",
        "region": "US",
        "app_id": "emulated",
    }
    permissions = {k: v for k, v in metadata.items() if k.startswith("permission: ")}
    assert permissions == {
        **{f"permission: {name}": "ok" for name in PERMISSIONS},
        "permission: read admins (optional, for admin and team names)": "ok",
        "permission: read tags (optional, for intercom/tags)": "ok",
    }
    assert "advice" not in metadata
    logs = [e.message for e in _isolated_instance.all_logs(result.run_id) if not e.dagster_event]
    assert "Intercom connection: OK" in logs
    assert emulator.requests == {"me": 1, "search": 1, "get": 1, "admins": 1, "tags": 1}


@pytest.mark.parametrize(
    ("mode", "states", "advice"),
    [
        ("revoked", ["missing", "not checked", "not checked"], "Generate a new token if the old"),
        ("no_scope", ["ok", "missing", "not checked"], "enable *Read conversations*"),
        ("no_parts", ["ok", "ok", "missing"], "cannot read conversation parts"),
    ],
)
def test_a_failed_test_connection_fails_the_run_with_the_advice(
    emulator: Emulator,
    duckdb_path: Path,
    _isolated_instance: dg.DagsterInstance,
    mode: str,
    states: list[str],
    advice: str,
) -> None:
    emulator.set_token(emulator.token, mode)
    result = _run(
        "intercom_test_connection_job", make_resources(emulator, duckdb_path), _isolated_instance
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith(
        f"Test Connection failed — {PERMISSIONS[states.index('missing')]}"
    )
    assert advice in description
    metadata = _step_metadata(result)
    assert [metadata[f"permission: {name}"] for name in PERMISSIONS] == states
    assert advice in metadata["advice"]
    assert emulator.token not in str(list(_isolated_instance.all_logs(result.run_id)))

    alert = failure_alert(
        dg.build_run_status_sensor_context(
            sensor_name="intercom_run_failure_alert_sensor",
            dagster_event=result.get_run_failure_event(),
            dagster_instance=_isolated_instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
    )
    assert alert.title == "Intercom run failed: intercom_test_connection_job"
    assert alert.text == description  # the advice, without Dagster's exception prefix


def test_resync_job_refetches_listed_conversations_and_removes_deleted_ones(
    emulator: Emulator, duckdb_path: Path, _isolated_instance: dg.DagsterInstance
) -> None:
    resources = make_resources(emulator, duckdb_path)
    assert backfill(resources, _isolated_instance).success
    grown, gone, untouched = emulator.conversation_ids()[:3]
    new_part = emulator.add_parts(grown, 2)
    emulator.delete(gone)
    emulator.reset_counters()

    config = {
        "ops": {"intercom_resync_conversations": {"config": {"conversation_ids": [grown, gone]}}}
    }
    result = _run("intercom_resync_job", resources, _isolated_instance, run_config=config)

    assert result.success
    assert emulator.requests == {"get": 2}  # one GET per listed id, no search
    metadata = _step_metadata(result)
    assert (metadata["conversations_synced"], metadata["not_found_removed"]) == (1, 1)
    stored = {
        row[0]
        for row in query(
            duckdb_path, "SELECT id FROM intercom.messages WHERE conversation_id = ?", [grown]
        )
    }
    assert set(new_part) <= stored
    assert query(duckdb_path, "SELECT id, detected_via FROM intercom.deleted_conversations") == [
        (gone, "404")
    ]
    assert query(
        duckdb_path, "SELECT count(*) FROM intercom.conversations WHERE id = ?", [untouched]
    ) == [(1,)]


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    _Webhook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{server.server_port}/hook")
    yield _Webhook.received
    server.shutdown()
    server.server_close()


def test_the_run_failure_sensor_posts_the_advice_to_the_webhook(
    emulator: Emulator, duckdb_path: Path, _isolated_instance: dg.DagsterInstance, webhook
) -> None:
    emulator.set_token(emulator.token, "revoked")
    result = _run(
        "intercom_sync_job",
        make_resources(emulator, duckdb_path),
        _isolated_instance,
        partition_key=HISTORY[1],
    )
    assert not result.success
    (sensor,) = [s for s in defs.sensors if s.name == "intercom_run_failure_alert_sensor"]
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=result.get_run_failure_event(),
        dagster_instance=_isolated_instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    sensor(context)
    (posted,) = webhook
    assert posted["text"].startswith(
        "Intercom run failed: intercom_sync_job\n"
        "Intercom rejected the access token (401 token_revoked)."
    )
    assert "Generate a new token if the old one was revoked" in posted["text"]
    assert posted["text"].endswith(f"Run: {result.run_id} (job intercom_sync_job)")


def test_check_alerts_name_error_checks_only(
    emulator: Emulator, duckdb_path: Path, _isolated_instance: dg.DagsterInstance
) -> None:
    resources = make_resources(emulator, duckdb_path)
    result = backfill(resources, _isolated_instance)
    assert (
        check_alerts(_isolated_instance, result.dagster_run) == []
    )  # WARN (500 parts) is not an alert


def test_the_updates_sensor_without_a_token_skips_with_the_one_line_message(
    emulator: Emulator,
    duckdb_path: Path,
    _isolated_instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    resources = {"intercom": IntercomResource(access_token="", base_url=emulator.base_url)}
    result = tick(updates_sensor(), resources, _isolated_instance, None)
    assert result.skip_message == missing_token_message()
    assert not result.run_requests and emulator.requests == {}
