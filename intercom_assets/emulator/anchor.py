"""The emulated workspace's first day, recorded beside a DAGSTER_HOME on first use.

The demo, `intercom-assets dev` and a standalone `intercom-assets emulator` all read it, so
whichever starts first fixes the history and every later one serves the same conversations
(same seed and flags) plus whatever time has added since: no phantom deletions.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ANCHOR_FILE = "intercom_emulator.json"


def default_home() -> Path:
    """The demo's DAGSTER_HOME: $DAGSTER_HOME, else `.dagster_home` in the working directory."""
    return Path(os.environ.get("DAGSTER_HOME") or ".dagster_home").resolve()


def resolve_first_day(home: Path, days: int, first_day: str | None = None) -> str:
    """`first_day` when given (validated), else the recorded anchor, else today minus
    `days - 1`, recorded now. Raises ValueError with a one-line reason on a bad date."""
    if first_day:
        return _validated(first_day, "--first-day")
    path = home / ANCHOR_FILE
    if path.exists():
        return _validated(json.loads(path.read_text())["first_day"], str(path))
    chosen = (datetime.now(UTC).date() - timedelta(days=max(1, days) - 1)).isoformat()
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"first_day": chosen}) + "\n")
    return chosen


def _validated(text: str, source: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{source}: {text!r} is not a YYYY-MM-DD date") from None
    if day > datetime.now(UTC).date():
        raise ValueError(f"{source}: {text} is in the future; the history must start by today")
    return day.isoformat()
