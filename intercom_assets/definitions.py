"""The code location: `intercom_assets.definitions:defs`, a module-level, eager Definitions.

Every workspace comes from the component YAML under `intercom_assets/defs/`. The YAML is package
data and the tree is built from the module itself (not `load_from_defs_folder`, which looks for
a pyproject.toml above the package), so a non-editable wheel install loads too.
"""

from pathlib import Path

import dagster as dg

import intercom_assets.defs


def load_code_location() -> dg.Definitions:
    """Every workspace under `defs/`, resolved from the environment as it is now."""
    project_root = Path(intercom_assets.defs.__file__).parents[2]
    tree = dg.ComponentTree.from_module(intercom_assets.defs, project_root=project_root)
    return dg.Definitions.merge(
        tree.build_defs(),
        # Sync steps are sequential and their parallelism is the client's thread pool, so one
        # process costs nothing and keeps a run's steps and checks from contending for
        # DuckDB's single-writer lock; it applies to runs launched from the asset graph too.
        dg.Definitions(executor=dg.in_process_executor),
    )


defs = load_code_location()
