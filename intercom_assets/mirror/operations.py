"""Operator jobs of one workspace, runnable from the UI's Launchpad:

- `{prefix}_test_connection_job`: the "Test Connection" button. The same per-permission check
  as `intercom-assets test-connection`; the report (workspace, region, each permission ok /
  missing, the advice) is the step's metadata and its log, and a failed check fails the run
  with the advice, so the run-failure alert carries it too.
- `{prefix}_resync_job`: re-fetch a given list of conversation ids (config
  `conversation_ids`), e.g. ones `messages_complete` named: each is fetched with a GET and its
  row and messages rewritten; a 404 removes it. No search, no partition.
"""

import dagster as dg
from pydantic import Field

from intercom_assets.client.connection_check import (
    CHECK_PARTS,
    CHECK_SEARCH,
    CHECK_TOKEN,
    ConnectionReport,
    check_connection,
)
from intercom_assets.mirror.resources import duckdb_resource, intercom_resource
from intercom_assets.mirror.spec import ConfigError, MirrorSpec
from intercom_assets.mirror.step_resources import intercom_client, prepared_database
from intercom_assets.sync.messages import sync_conversation_ids

PERMISSIONS = (CHECK_TOKEN, CHECK_SEARCH, CHECK_PARTS)


def report_metadata(report: ConnectionReport) -> dict[str, dg.MetadataValue]:
    """Workspace, region, endpoint and each permission (required, then optional) as ok /
    missing / not checked."""
    results = {name: passed for name, passed, _ in report.checks}
    names = [*PERMISSIONS, *(name for name in results if name not in PERMISSIONS)]
    metadata: dict[str, dg.MetadataValue] = {
        "status": dg.MetadataValue.text("OK" if report.ok else "FAILED"),
        "workspace": dg.MetadataValue.text(report.workspace or "?"),
        "app_id": dg.MetadataValue.text(report.app_id or "?"),
        "region": dg.MetadataValue.text(report.region or "?"),
        "endpoint": dg.MetadataValue.text(report.base_url),
        "api_version": dg.MetadataValue.text(report.api_version),
    }
    for name in names:
        state = "not checked" if name not in results else "ok" if results[name] else "missing"
        metadata[f"permission: {name}"] = dg.MetadataValue.text(state)
    for name, passed, _ in report.optional:
        metadata[f"permission: {name}"] = dg.MetadataValue.text("ok" if passed else "missing")
    if report.advice:
        metadata["advice"] = dg.MetadataValue.md(report.advice)
    return metadata


def failure_description(report: ConnectionReport) -> str:
    """What failed and what to do, for the run page and the alert."""
    failed = next((f"{name}: {detail}" for name, ok, detail in report.checks if not ok), "")
    return f"Test Connection failed — {failed}\n{report.advice or ''}".strip()


def build_test_connection_job(spec: MirrorSpec) -> dg.JobDefinition:
    @dg.op(
        name=f"{spec.key_prefix}_test_connection",
        required_resource_keys={spec.intercom_resource_key},
        description="Checks the token, each permission the sync needs, and the region.",
    )
    def test_connection(context: dg.OpExecutionContext) -> dg.Output[None]:
        intercom = intercom_resource(context, spec).model_copy(update={"max_retries": 2})
        try:
            base_url = intercom.resolved_base_url()
        except ConfigError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
        with intercom_client(intercom, context.log) as client:
            report = check_connection(client, base_url=base_url, api_version=intercom.api_version)
        for line in report.render().splitlines():
            (context.log.info if report.ok else context.log.error)(line)
        metadata = report_metadata(report)
        if not report.ok:
            raise dg.Failure(
                description=failure_description(report), metadata=metadata, allow_retries=False
            )
        return dg.Output(None, metadata=metadata)

    @dg.job(
        name=spec.name("test_connection_job"),
        description=(
            "Test Connection: run it from the Launchpad before the first backfill and after "
            "changing the token. Shows the workspace, the region and each permission."
        ),
        tags={"intercom/operator": "test_connection"},
    )
    def test_connection_job() -> None:
        test_connection()

    return test_connection_job


class ResyncConfig(dg.Config):
    conversation_ids: list[str] = Field(
        description="Intercom conversation ids to fetch again, e.g. from messages_complete."
    )


def build_resync_job(spec: MirrorSpec) -> dg.JobDefinition:
    @dg.op(
        name=f"{spec.key_prefix}_resync_conversations",
        required_resource_keys={spec.intercom_resource_key, spec.duckdb_resource_key},
        description="GETs each listed conversation and rewrites its row and messages.",
    )
    def resync(context: dg.OpExecutionContext, config: ResyncConfig) -> dg.Output[None]:
        ids = list(dict.fromkeys(cid.strip() for cid in config.conversation_ids if cid.strip()))
        if not ids:
            raise dg.Failure(description="conversation_ids is empty: list the ids to re-sync.")
        database = prepared_database(duckdb_resource(context, spec), context.log)
        with intercom_client(intercom_resource(context, spec), context.log) as client:
            result = sync_conversation_ids(client, database, ids, context.log)
        context.log.info(
            f"Re-synced {result.conversations_synced} of {len(ids)} conversations "
            f"({result.messages_written} messages written, {result.not_found} gone)"
        )
        return dg.Output(
            None,
            metadata={
                "requested": len(ids),
                "conversations_synced": result.conversations_synced,
                "messages_written": result.messages_written,
                "not_found_removed": result.not_found,
                "unusable": len(result.unusable) + len(result.rejected),
            },
        )

    @dg.job(
        name=spec.name("resync_job"),
        description="Fetch the listed conversation ids again (config: conversation_ids).",
        tags={"intercom/operator": "resync"},
    )
    def resync_job() -> None:
        resync()

    return resync_job
