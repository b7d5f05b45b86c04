"""★ `messages_complete`: every conversation has every part Intercom says it has.

Compares every stored conversation's parts (opening message excluded) with the stored
`parts_reported`, with no API calls. A shortfall is either Intercom's 500-part limit (the API
never shows older parts: WARN, nothing to do) or parts that are really missing (ERROR: token
scope or a failed sync).
"""

from dataclasses import dataclass

import dagster as dg
import duckdb

from intercom_assets.mirror.checks.naming import id_list
from intercom_assets.storage.checks import PART_LIMIT, conversation_count, mirror_shortfalls

NAME = "messages_complete"
DESCRIPTION = (
    "Every stored conversation has all the parts Intercom reports for it (whole mirror, no API "
    "calls). Conversations over Intercom's 500-part limit warn; really missing parts fail."
)


@dataclass(frozen=True)
class Shortfall:
    id: str
    day: str
    reported: int
    stored: int

    @property
    def truncated(self) -> bool:
        """Intercom's API shows only the newest 500 parts: the rest cannot be fetched."""
        return self.reported > PART_LIMIT and self.stored >= PART_LIMIT

    @property
    def reason(self) -> str:
        return "truncated by Intercom's 500-part limit" if self.truncated else "parts missing"


def _table(shortfalls: list[Shortfall], limit: int = 50) -> str:
    lines = ["| conversation | day | reported | stored | reason |", "|---|---|---|---|---|"]
    lines += [
        f"| {s.id} | {s.day} | {s.reported} | {s.stored} | {s.reason} |" for s in shortfalls[:limit]
    ]
    if len(shortfalls) > limit:
        lines.append(f"| … {len(shortfalls) - limit} more | | | | |")
    return "\n".join(lines)


def _truncated_text(truncated: list[Shortfall]) -> str:
    return (
        f"{len(truncated)} conversation(s) have more than {PART_LIMIT} parts ("
        f"{id_list([s.id for s in truncated], 10)}). Intercom's API only returns the newest "
        f"{PART_LIMIT} parts of a conversation, so the older ones cannot be downloaded. This is "
        "a limit of Intercom, not a sync failure: nothing to do, and parts added from now on "
        "are kept as they arrive."
    )


def _missing_text(missing: list[Shortfall]) -> str:
    example = missing[0]
    days = sorted({s.day for s in missing})
    return (
        f"{len(missing)} conversation(s) are missing parts that Intercom "
        f"says exist (for example conversation {example.id} has {example.stored} of "
        f"{example.reported}). Check that the Intercom access token can read conversation "
        "parts (the app needs the Read conversations permission), then re-sync these days "
        f"by materializing their partitions: {', '.join(days)}."
    )


def evaluate(
    shortfalls: list[Shortfall], checked: int, asset_key: dg.AssetKey
) -> dg.AssetCheckResult:
    truncated = [s for s in shortfalls if s.truncated]
    missing = [s for s in shortfalls if not s.truncated]
    metadata: dict[str, dg.RawMetadataValue] = {
        "conversations_checked": checked,
        "incomplete_conversations": len(shortfalls),
        "truncated_conversations": len(truncated),
        "missing_conversations": len(missing),
        "incomplete_conversation_ids": id_list([s.id for s in shortfalls]),
        "incomplete_days": ", ".join(sorted({s.day for s in shortfalls})),
        "details": dg.MetadataValue.md(_table(shortfalls)),
    }
    if not shortfalls:
        return dg.AssetCheckResult(
            check_name=NAME,
            asset_key=asset_key,
            passed=True,
            metadata=metadata,
            description=f"All {checked} stored conversations have every part Intercom reports.",
        )
    texts = [_missing_text(missing)] if missing else []
    texts += [_truncated_text(truncated)] if truncated else []
    return dg.AssetCheckResult(
        check_name=NAME,
        asset_key=asset_key,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR if missing else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=" ".join(texts),
    )


def evaluate_messages_complete(
    conn: duckdb.DuckDBPyConnection, asset_key: dg.AssetKey
) -> dg.AssetCheckResult:
    shortfalls = [Shortfall(*row) for row in mirror_shortfalls(conn)]
    return evaluate(shortfalls, conversation_count(conn), asset_key)
