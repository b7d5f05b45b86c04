"""What a sync did to each created day: the partition-level ledger of a run.

Runs record a day's materialization only when they changed it, with that day's own figures,
and name the days they could not sync (left unrecorded so the next run retries them).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

# The UNIX seconds of 0001-01-01 and 9999-12-31T23:59:59 UTC: what `datetime` can hold.
_FIRST_EPOCH, _LAST_EPOCH = -62_135_596_800, 253_402_300_799


def usable_epoch(epoch: object) -> bool:
    """Whether `day_of(epoch)` has a day; checked for every searched item, so ints go first."""
    if epoch.__class__ is int:
        return _FIRST_EPOCH <= epoch <= _LAST_EPOCH  # type: ignore[operator]
    return day_of(epoch) is not None


def day_of(epoch: object) -> str | None:
    """The UTC day of a UNIX-seconds value, or None if it is not a usable timestamp."""
    if isinstance(epoch, bool) or not isinstance(epoch, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(int(epoch), UTC).date().isoformat()
    except (ValueError, OverflowError, OSError):
        return None


@dataclass
class DayChanges:
    """One day's changes in one run."""

    new: int = 0
    changed: int = 0
    deleted: int = 0
    messages_synced: int = 0  # conversations whose messages were (re-)read and stored
    messages_written: int = 0

    @property
    def any(self) -> bool:
        return bool(self.new or self.changed or self.deleted or self.messages_synced)


class DayLedger:
    """Per-day changes and failures, filled by the engine as batches commit."""

    def __init__(self) -> None:
        self.days: defaultdict[str, DayChanges] = defaultdict(DayChanges)
        self.failed: dict[str, str] = {}
        # Days holding a rejected record: their search was not complete, so a stored id it did
        # not return is no evidence of a deletion. None: a record could not be placed on a day.
        self.deletion_unsafe: set[str] | None = set()

    def add(self, day: str, **counts: int) -> None:
        entry = self.days[day]
        for name, count in counts.items():
            setattr(entry, name, getattr(entry, name) + count)

    def fail(self, day: str, reason: str) -> None:
        self.failed.setdefault(day, reason)

    def reject(self, day: str | None) -> None:
        if day is None:
            self.deletion_unsafe = None
        elif self.deletion_unsafe is not None:
            self.deletion_unsafe.add(day)

    def deletion_safe(self, day: str) -> bool:
        unsafe = self.deletion_unsafe
        return unsafe is not None and day not in unsafe and day not in self.failed

    def changed_days(self) -> set[str]:
        return {day for day, entry in self.days.items() if entry.any}
