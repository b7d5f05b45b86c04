"""Mirror Intercom conversations and every message into DuckDB with Dagster.

`intercom_assets` is also the `dg` registry module: `IntercomWorkspaceComponent` is listed by
`dg list components` and used in YAML as `intercom_assets.IntercomWorkspaceComponent`. It is
imported on first use (PEP 562) so the CLI and the emulator do not load the Dagster wiring.
"""

import warnings
from typing import Any

import dagster as dg

# We rely on BackfillPolicy.single_run (beta) and partitioned asset checks (preview) on purpose;
# their warnings would only repeat that on every import.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

__all__ = ["IntercomWorkspaceComponent"]


def __getattr__(name: str) -> Any:
    if name == "IntercomWorkspaceComponent":
        from intercom_assets.components import IntercomWorkspaceComponent

        return IntercomWorkspaceComponent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
