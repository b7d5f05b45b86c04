"""Integrity checks of the mirror, run inside the sync job after its writes.

They read DuckDB through short read-only connections in the same run that wrote it, so they
never collide with that run's writer; another run's batch only makes them wait briefly.
"""

from collections.abc import Callable

import dagster as dg

from intercom_assets.mirror.checks.scope import CheckWindow, check_window, id_list
from intercom_assets.mirror.resources import duckdb_resource
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.storage import reader

RESYNC = "Re-sync the affected days by materializing their partitions from the Dagster UI"

_DUPLICATE_CONVERSATIONS = """
SELECT id FROM intercom.conversations WHERE created_at >= ? AND created_at < ?
GROUP BY id HAVING count(*) > 1 ORDER BY id
"""
# The stored day must be Intercom's creation day, or the conversation sits in the wrong partition.
_WRONG_DAY = """
SELECT id FROM intercom.conversations WHERE created_at >= ? AND created_at < ?
  AND epoch(created_at)::BIGINT
      IS DISTINCT FROM TRY_CAST(json_extract_string(raw, '$.created_at') AS BIGINT)
ORDER BY id
"""
_DUPLICATE_MESSAGES = """
SELECT conversation_id || '/' || id FROM intercom.messages
WHERE conversation_id IN (
    SELECT id FROM intercom.conversations WHERE created_at >= ? AND created_at < ?)
GROUP BY conversation_id, id HAVING count(*) > 1 ORDER BY 1
"""
_ORPHANS = """
SELECT DISTINCT m.conversation_id FROM intercom.messages m
WHERE NOT EXISTS (SELECT 1 FROM intercom.conversations c WHERE c.id = m.conversation_id)
ORDER BY 1
"""


def _run(
    context: dg.AssetCheckExecutionContext,
    spec: MirrorSpec,
    sql: str,
    scoped: bool,
    explain: Callable[[list[str], CheckWindow], str],
    ok: str,
) -> dg.AssetCheckResult:
    window = check_window(context)
    with reader(duckdb_resource(context, spec).database, context.log) as conn:
        found = [row[0] for row in conn.execute(sql, window.params if scoped else []).fetchall()]
    metadata = {"problems": len(found), "ids": id_list(found)}
    if not found:
        return dg.AssetCheckResult(
            passed=True, metadata=metadata, description=ok.format(window=window.label)
        )
    return dg.AssetCheckResult(passed=False, metadata=metadata, description=explain(found, window))


def build_integrity_checks(spec: MirrorSpec) -> list[dg.AssetChecksDefinition]:
    """Uniqueness, day placement and orphan checks on `{prefix}/conversations` and `/messages`."""

    @dg.asset_check(
        asset=spec.conversations_key,
        partitions_def=spec.partitions_def,
        required_resource_keys={spec.duckdb_resource_key},
        description="No conversation id is stored twice.",
    )
    def conversation_ids_unique(
        context: dg.AssetCheckExecutionContext,
    ) -> dg.AssetCheckResult:
        return _run(
            context,
            spec,
            _DUPLICATE_CONVERSATIONS,
            True,
            lambda ids, w: (
                f"{len(ids)} conversation id(s) created {w.label} are stored more than once "
                f"({id_list(ids, 10)}), so counts are inflated. {RESYNC}, and report this as a bug."
            ),
            "Every conversation created {window} is stored once.",
        )

    @dg.asset_check(
        asset=spec.conversations_key,
        partitions_def=spec.partitions_def,
        required_resource_keys={spec.duckdb_resource_key},
        description="Every conversation is filed under the day Intercom says it was created.",
    )
    def conversations_in_partition_day(
        context: dg.AssetCheckExecutionContext,
    ) -> dg.AssetCheckResult:
        return _run(
            context,
            spec,
            _WRONG_DAY,
            True,
            lambda ids, w: (
                f"{len(ids)} conversation(s) filed {w.label} have a creation time that differs "
                f"from Intercom's ({id_list(ids, 10)}), so they sit in the wrong day. {RESYNC}, "
                "and report this as a bug."
            ),
            "Every conversation filed {window} was created on that day according to Intercom.",
        )

    @dg.asset_check(
        asset=spec.messages_key,
        partitions_def=spec.partitions_def,
        required_resource_keys={spec.duckdb_resource_key},
        description="No message is stored twice within its conversation.",
    )
    def message_ids_unique(
        context: dg.AssetCheckExecutionContext,
    ) -> dg.AssetCheckResult:
        return _run(
            context,
            spec,
            _DUPLICATE_MESSAGES,
            True,
            lambda ids, w: (
                f"{len(ids)} message(s) of conversations created {w.label} are stored more than "
                f"once ({id_list(ids, 10)}). {RESYNC}, and report this as a bug."
            ),
            "Every message of the conversations created {window} is stored once.",
        )

    @dg.asset_check(
        asset=spec.messages_key,
        partitions_def=spec.partitions_def,
        required_resource_keys={spec.duckdb_resource_key},
        description="Every stored message belongs to a stored conversation (whole mirror).",
    )
    def messages_have_conversation(
        context: dg.AssetCheckExecutionContext,
    ) -> dg.AssetCheckResult:
        return _run(
            context,
            spec,
            _ORPHANS,
            False,
            lambda ids, _: (
                f"Messages of {len(ids)} conversation(s) are stored without their conversation "
                f"({id_list(ids, 10)}), so joins drop them. The weekly reconciliation "
                f"({spec.reconcile_schedule_name}) restores conversations that still exist in "
                "Intercom; "
                "remove the rest with: DELETE FROM intercom.messages WHERE conversation_id NOT IN "
                "(SELECT id FROM intercom.conversations)."
            ),
            "Every stored message belongs to a stored conversation.",
        )

    return [
        conversation_ids_unique,
        conversations_in_partition_day,
        message_ids_unique,
        messages_have_conversation,
    ]
