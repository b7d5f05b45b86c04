"""Launch a real run of the code location, as the UI would, and wait for it.

The run is created from the *remote* job (a code server loads `intercom_assets.definitions`
under the location name `workspace.yaml` uses) and handed to the instance's run launcher, so
it has a repository origin: it shows in Overview, Runs and the asset pages of `dagster dev` on
the same DAGSTER_HOME and can be re-executed from there. `launch_run` bypasses the run queue,
so no daemon is needed.
"""

import logging
import time
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster._core.remote_origin import RemoteJobOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import ModuleTarget

LOCATION = "intercom_assets"  # the location name in workspace.yaml
MODULE = "intercom_assets.definitions"


def launch_and_wait(
    instance: dg.DagsterInstance,
    job_name: str,
    *,
    tags: Mapping[str, str] | None = None,
    run_config: Mapping[str, Any] | None = None,
    timeout_seconds: float = 1_800,
) -> dg.DagsterRun:
    """Create the run from the remote job, launch it, and return it once it has finished."""
    target = ModuleTarget(
        module_name=MODULE, attribute=None, working_directory=None, location_name=LOCATION
    )
    with WorkspaceProcessContext(instance, target) as process_context:
        workspace = process_context.create_request_context()
        location = workspace.get_code_location(LOCATION)
        (repository,) = location.get_repositories().values()
        remote_job = repository.get_full_job(job_name)
        config = dict(run_config or {})
        plan = location.get_execution_plan(
            remote_job, config, step_keys_to_execute=None, known_state=None, instance=instance
        )
        origin: RemoteJobOrigin = remote_job.get_remote_origin()
        run = instance.create_run(
            job_name=job_name,
            run_id=None,
            run_config=config,
            resolved_op_selection=None,
            step_keys_to_execute=plan.execution_plan_snapshot.step_keys_to_execute,
            op_selection=None,
            status=None,
            root_run_id=None,
            parent_run_id=None,
            tags={**remote_job.tags, **(tags or {})},
            job_snapshot=remote_job.job_snapshot,
            execution_plan_snapshot=plan.execution_plan_snapshot,
            parent_job_snapshot=remote_job.parent_job_snapshot,
            remote_job_origin=origin,
            job_code_origin=remote_job.get_python_origin(),
            asset_selection=None,
            asset_check_selection=None,
            asset_graph=repository.asset_graph,
        )
        instance.launch_run(run.run_id, workspace)
        return _wait(instance, run.run_id, timeout_seconds)


def _wait(instance: dg.DagsterInstance, run_id: str, timeout_seconds: float) -> dg.DagsterRun:
    """Poll until the run ends, echoing its INFO+ log lines (progress, summaries) meanwhile."""
    deadline = time.monotonic() + timeout_seconds
    cursor = None
    while True:
        run = instance.get_run_by_id(run_id)
        page = instance.get_records_for_run(run_id, cursor=cursor)
        cursor = page.cursor
        for record in page.records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None and entry.level >= logging.INFO:
                print(f"  {entry.user_message}", flush=True)
            elif event is not None and event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                print(f"  {entry.user_message}", flush=True)
                if event.is_step_failure:
                    error = event.step_failure_data.error
                    print(f"    {error.message.strip() if error else ''}", flush=True)
        if run is not None and run.is_finished and not page.has_more:
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} did not finish within {timeout_seconds:.0f}s")
        time.sleep(0.5)
