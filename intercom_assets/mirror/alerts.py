"""Alerts the Dagster way: sensors that fire when a run of this workspace fails, or when a
sync run's data check fails with severity ERROR, carrying the failure's advice.

Every alert is logged by the sensor tick (Automation > the sensor > its ticks). Two hooks
deliver it further, read from the environment of the code location when the alert fires:

- `INTERCOM_ALERT_WEBHOOK_URL`: POSTs `{"text": ...}` — a Slack (or Mattermost, Teams
  workflow, ...) incoming webhook;
- `INTERCOM_ALERT_HOOK=package.module:function`: calls `function(alert: Alert)`, e.g. to send
  an email with `smtplib` or page someone.

Both sensors are on by default: they cost no API call and never open DuckDB.
"""

import importlib
import os
from dataclasses import dataclass

import dagster as dg
import requests

from intercom_assets.mirror.spec import MirrorSpec

WEBHOOK_ENV = "INTERCOM_ALERT_WEBHOOK_URL"
HOOK_ENV = "INTERCOM_ALERT_HOOK"
_FAILURE_PREFIX = "dagster._core.definitions.events.Failure: "


@dataclass(frozen=True)
class Alert:
    """What went wrong, where, and what to do (the advice is in `text`)."""

    title: str
    text: str
    job_name: str
    run_id: str

    def message(self) -> str:
        return f"{self.title}\n{self.text}\nRun: {self.run_id} (job {self.job_name})"


def deliver(alert: Alert, log: dg.DagsterLogManager) -> None:
    """Log the alert, then hand it to the configured webhook and hook (errors are logged)."""
    log.error(alert.message())
    webhook = os.environ.get(WEBHOOK_ENV, "").strip()
    if webhook:
        try:
            requests.post(webhook, json={"text": alert.message()}, timeout=10).raise_for_status()
        except requests.RequestException as error:
            log.warning(f"{WEBHOOK_ENV}: the alert could not be posted: {error}")
    hook = os.environ.get(HOOK_ENV, "").strip()
    if hook:
        module, _, name = hook.partition(":")
        try:
            getattr(importlib.import_module(module), name)(alert)
        except Exception as error:  # a broken hook must not stop the sensor
            log.warning(f"{HOOK_ENV}={hook} failed: {type(error).__name__}: {error}")


def _error_text(message: str) -> str:
    """A step's error without Dagster's exception class prefix."""
    text = message.strip()
    return text[len(_FAILURE_PREFIX) :] if text.startswith(_FAILURE_PREFIX) else text


def failure_alert(context: dg.RunFailureSensorContext) -> Alert:
    run = context.dagster_run
    errors = [
        _error_text(event.step_failure_data.error.message)
        for event in context.get_step_failure_events()
        if event.step_failure_data.error is not None
    ]
    if not errors and context.failure_event.message:
        errors = [context.failure_event.message]
    return Alert(
        title=f"Intercom run failed: {run.job_name}",
        text="\n".join(dict.fromkeys(errors)) or "The run failed; see its logs.",
        job_name=run.job_name,
        run_id=run.run_id,
    )


def check_alerts(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[tuple[str, str]]:
    """(check, description) of every ERROR-severity check that failed in the run."""
    failed = []
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.get_dagster_event().asset_check_evaluation_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            name = f"{evaluation.asset_key.to_user_string()} / {evaluation.check_name}"
            failed.append((name, evaluation.description or "see the check's metadata"))
    return failed


def build_alert_sensors(
    spec: MirrorSpec, monitored: list, sync_job: object
) -> list[dg.SensorDefinition]:
    @dg.run_failure_sensor(
        name=spec.name("run_failure_alert_sensor"),
        monitored_jobs=monitored,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Alerts when a run of {spec.key_prefix} fails, with the error's advice.",
    )
    def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
        deliver(failure_alert(context), context.log)

    @dg.run_status_sensor(
        name=spec.name("check_failure_alert_sensor"),
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[sync_job],
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Alerts when a sync run's data check fails with severity ERROR.",
    )
    def check_failure_alert(context: dg.RunStatusSensorContext) -> None:
        run = context.dagster_run
        failed = check_alerts(context.instance, run)
        if failed:
            text = "\n".join(f"{name}: {description}" for name, description in failed)
            title = f"Intercom data check failed in {run.job_name}"
            deliver(Alert(title, text, run.job_name, run.run_id), context.log)

    return [run_failure_alert, check_failure_alert]
