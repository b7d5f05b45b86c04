"""Jobs: the partitioned sync, the deletions log, and the freshness checks of one workspace.

All run in one process (the code location's executor, see definitions.py). The data checks are
part of the sync op, so every sync run evaluates them right after its writes.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg

from intercom_assets.mirror.metrics import metric_specs
from intercom_assets.mirror.spec import MirrorSpec

if TYPE_CHECKING:  # what `define_asset_job` returns; `dagster` does not export the class
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition as AssetJob,
    )


@dataclass(frozen=True)
class MirrorJobs:
    sync: "AssetJob"
    deletions: "AssetJob"
    freshness: "AssetJob"

    def all(self) -> list["AssetJob"]:
        return [self.sync, self.deletions, self.freshness]


def build_jobs(spec: MirrorSpec, freshness_checks: list[dg.AssetChecksDefinition]) -> MirrorJobs:
    # Both assets with the sync op's own checks (it cannot be subset); freshness checks have
    # their own job.
    sync_assets = dg.AssetSelection.assets(
        spec.conversations_key, spec.messages_key, *(s.key for s in metric_specs(spec))
    )
    return MirrorJobs(
        sync=dg.define_asset_job(
            spec.sync_job_name,
            selection=sync_assets - dg.AssetSelection.checks(*freshness_checks),
            description="Sync Intercom conversations and their messages for the selected day(s).",
        ),
        deletions=dg.define_asset_job(
            spec.deletions_job_name,
            selection=dg.AssetSelection.assets(spec.deleted_conversations_key),
            description="Remove conversations Intercom lists as deleted (API 2.16+).",
        ),
        freshness=dg.define_asset_job(
            spec.freshness_job_name,
            selection=dg.AssetSelection.checks(*freshness_checks),
            description="Check that the mirror is current; never opens DuckDB.",
        ),
    )
