"""Asset checks: data checks are part of the sync op; freshness checks run on their own.

The data checks read the whole mirror on every sync run (cheap SQL), so their latest
evaluation is always the mirror's true state and every UI view agrees with it. They are
check specs of the non-subsettable sync multi-asset: unpartitioned, one evaluation per run.
Freshness checks never open DuckDB; the freshness schedule (on by default) evaluates them.
"""

import dagster as dg
import duckdb

from intercom_assets.mirror.checks import completeness, sync_days
from intercom_assets.mirror.checks.completeness import evaluate_messages_complete
from intercom_assets.mirror.checks.freshness import build_freshness_checks
from intercom_assets.mirror.checks.integrity import INTEGRITY_CHECKS, evaluate_integrity
from intercom_assets.mirror.checks.sync_days import evaluate_days_synced
from intercom_assets.mirror.spec import MirrorSpec


def data_check_specs(spec: MirrorSpec) -> list[dg.AssetCheckSpec]:
    """The sync op's checks, each on the asset it is about."""
    conversations, messages = spec.conversations_key, spec.messages_key
    return [
        dg.AssetCheckSpec(completeness.NAME, asset=messages, description=completeness.DESCRIPTION),
        dg.AssetCheckSpec(sync_days.NAME, asset=conversations, description=sync_days.DESCRIPTION),
        *(
            dg.AssetCheckSpec(
                check.name,
                asset=messages if check.on_messages else conversations,
                description=check.description,
            )
            for check in INTEGRITY_CHECKS
        ),
    ]


def evaluate_data_checks(
    conn: duckdb.DuckDBPyConnection,
    spec: MirrorSpec,
    failed_days: dict[str, str],
    attempted_days: int,
) -> list[dg.AssetCheckResult]:
    """Every data check over the whole mirror, plus the run's own failed days."""
    conversations, messages = spec.conversations_key, spec.messages_key
    return [
        evaluate_messages_complete(conn, messages),
        evaluate_days_synced(failed_days, attempted_days, conversations),
        *(
            evaluate_integrity(conn, check, messages if check.on_messages else conversations)
            for check in INTEGRITY_CHECKS
        ),
    ]


__all__ = ["build_freshness_checks", "data_check_specs", "evaluate_data_checks"]
