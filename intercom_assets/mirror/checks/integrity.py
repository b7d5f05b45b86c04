"""Integrity checks of the whole mirror, evaluated by the sync op after its writes.

Each is one cheap query over every stored row, so the latest evaluation is the mirror's true
state whatever days the run touched; failures name the ids and their created days.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import dagster as dg
import duckdb

from intercom_assets.mirror.checks.naming import id_list
from intercom_assets.storage.checks import (
    DUPLICATE_CONVERSATIONS,
    ORPHANS,
    REMOVE_ORPHANS,
    WRONG_DAY,
    duplicate_messages,
    problems,
)

RESYNC = "Re-sync the affected days by materializing their partitions from the Dagster UI"


@dataclass(frozen=True)
class IntegrityCheck:
    name: str
    on_messages: bool  # which asset it is about
    description: str
    find: Callable[[duckdb.DuckDBPyConnection], list[tuple[str, str | None]]]  # (id, day)
    explain: Callable[[list[str], str], str]
    ok: str


INTEGRITY_CHECKS = (
    IntegrityCheck(
        "conversation_ids_unique",
        False,
        "No conversation id is stored twice (whole mirror).",
        partial(problems, sql=DUPLICATE_CONVERSATIONS),
        lambda ids, days: (
            f"{len(ids)} conversation id(s) are stored more than once ({id_list(ids, 10)}; "
            f"created {days}), so counts are inflated. {RESYNC}, and report this as a bug."
        ),
        "Every stored conversation is stored once.",
    ),
    IntegrityCheck(
        "conversations_in_partition_day",
        False,
        "Every conversation is filed under the day Intercom says it was created (whole mirror).",
        partial(problems, sql=WRONG_DAY),
        lambda ids, days: (
            f"{len(ids)} conversation(s) have a creation time that differs from Intercom's "
            f"({id_list(ids, 10)}; filed on {days}), so they sit in the wrong day. {RESYNC}, "
            "and report this as a bug."
        ),
        "Every stored conversation is filed on the day Intercom says it was created.",
    ),
    IntegrityCheck(
        "message_ids_unique",
        True,
        "No message is stored twice within its conversation (whole mirror).",
        duplicate_messages,
        lambda ids, days: (
            f"{len(ids)} message(s) are stored more than once ({id_list(ids, 10)}; "
            f"conversations created {days}). {RESYNC}, and report this as a bug."
        ),
        "Every stored message is stored once.",
    ),
    IntegrityCheck(
        "messages_have_conversation",
        True,
        "Every stored message belongs to a stored conversation (whole mirror).",
        partial(problems, sql=ORPHANS),
        lambda ids, _: (
            f"Messages of {len(ids)} conversation(s) are stored without their conversation "
            f"({id_list(ids, 10)}), so joins drop them. The weekly reconciliation "
            "(intercom_reconcile_schedule) restores conversations that still exist in Intercom; "
            f"remove the rest with: {REMOVE_ORPHANS}."
        ),
        "Every stored message belongs to a stored conversation.",
    ),
)


def evaluate_integrity(
    conn: duckdb.DuckDBPyConnection, check: IntegrityCheck, asset_key: dg.AssetKey
) -> dg.AssetCheckResult:
    rows = check.find(conn)
    ids = [row[0] for row in rows]
    days = ", ".join(sorted({row[1] for row in rows if row[1] is not None}))
    metadata = {"problems": len(ids), "ids": id_list(ids), "days": days}
    if not ids:
        return dg.AssetCheckResult(
            check_name=check.name,
            asset_key=asset_key,
            passed=True,
            metadata=metadata,
            description=check.ok,
        )
    return dg.AssetCheckResult(
        check_name=check.name,
        asset_key=asset_key,
        passed=False,
        metadata=metadata,
        description=check.explain(ids, days or "on unknown days"),
    )
