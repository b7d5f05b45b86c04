"""Asset checks: data checks run inside the sync job; freshness checks run on their own."""

import dagster as dg

from intercom_assets.mirror.checks.completeness import build_messages_complete
from intercom_assets.mirror.checks.freshness import build_freshness_checks
from intercom_assets.mirror.checks.integrity import build_integrity_checks
from intercom_assets.mirror.spec import MirrorSpec


def build_data_checks(spec: MirrorSpec) -> list[dg.AssetChecksDefinition]:
    """Checks that read DuckDB, so they run in the sync job right after its writes (never
    beside a writer)."""
    return [build_messages_complete(spec), *build_integrity_checks(spec)]


# Freshness checks never open DuckDB; evaluated hourly by the freshness schedule (on by default).
__all__ = ["build_data_checks", "build_freshness_checks"]
