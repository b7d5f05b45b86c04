"""The code location: `intercom_assets.definitions:defs`, a module-level, eager Definitions."""

import dagster as dg

from intercom_assets.mirror.build import build_defs
from intercom_assets.mirror.settings import spec_from_env

defs = dg.Definitions.merge(
    build_defs(spec_from_env()),
    # Sync steps are sequential and their parallelism is the client's thread pool, so one
    # process costs nothing and keeps a run's steps and checks from contending for DuckDB's
    # single-writer lock; it applies to runs launched from the asset graph too.
    dg.Definitions(executor=dg.in_process_executor),
)
