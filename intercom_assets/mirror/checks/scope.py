"""What a data check looks at: the run's created-day window, described for people."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import dagster as dg


@dataclass(frozen=True)
class CheckWindow:
    """Conversations created in [start, end): the partition(s) the run synced."""

    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """'on 2026-11-19' or 'from 2026-11-18 to 2026-11-20' (both days included)."""
        first, last = self.start.date(), (self.end - timedelta(days=1)).date()
        return f"on {first}" if first == last else f"from {first} to {last}"

    @property
    def params(self) -> list[datetime]:
        return [self.start, self.end]


def check_window(context: dg.AssetCheckExecutionContext) -> CheckWindow:
    window = context.partition_time_window
    return CheckWindow(window.start, window.end)


def id_list(ids: list[str], limit: int = 200) -> str:
    """Ids for metadata, comma-separated; long lists are cut with the total said."""
    shown = ", ".join(ids[:limit])
    return shown if len(ids) <= limit else f"{shown} … ({len(ids)} in total)"
