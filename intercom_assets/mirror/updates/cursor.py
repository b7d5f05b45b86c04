"""The updates sensor's durable cursor, stored by Dagster as JSON between ticks.

The sensor walks conversations in (`updated_at`, `id`) order. `Position` is where the next
tick resumes; `seen` remembers what was already handed to a run inside the index-lag overlap,
so re-reading that overlap never requests the same change twice. `pending` holds the run keys
requested and not yet seen to succeed, so a failed run's changes are requested again.
"""

import json
from dataclasses import dataclass, field

# Upper bound on remembered (id, updated_at) pairs: keeps the cursor small; forgetting the
# oldest only risks a redundant run, which costs search calls but no GETs.
MAX_SEEN = 5_000
VERSION = 2
# Version 1 cursors (before `pending`) are read as having nothing pending.
READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class Position:
    """Where a walk resumes.

    `tie=False`: read every conversation with `updated_at >= second`.
    `tie=True`: read the conversations of exactly `second`, by `created_at`, from
    `created_from` on; used when a tick stopped inside a second so a crowded second is walked
    to its end, never re-read forever (see `scan.py` for why not by id).
    """

    second: int
    tie: bool = False
    created_from: int | None = None


@dataclass
class UpdatesCursor:
    position: Position
    newest: int
    seen: dict[str, int] = field(default_factory=dict)
    deleted_at: int | None = None
    deleted_ids: list[str] = field(default_factory=list)
    # run_key -> when it was requested (UNIX seconds, this machine's clock)
    pending: dict[str, int] = field(default_factory=dict)

    def is_new(self, conversation_id: str, updated_at: int) -> bool:
        return self.seen.get(conversation_id) != updated_at

    def remember(self, conversation_id: str, updated_at: int) -> None:
        self.seen[conversation_id] = updated_at

    def forget_before(self, second: int) -> None:
        """Drop what no future pass can read again (older than `second`), then cap the size."""
        kept = sorted(
            ((updated, cid) for cid, updated in self.seen.items() if updated >= second),
            reverse=True,
        )[:MAX_SEEN]
        self.seen = {cid: updated for updated, cid in kept}

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "position": [self.position.second, self.position.tie, self.position.created_from],
                "newest": self.newest,
                "seen": self.seen,
                "deleted": [self.deleted_at, self.deleted_ids],
                "pending": self.pending,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> "UpdatesCursor":
        data = json.loads(text)
        if data.get("version") not in READABLE_VERSIONS:
            raise ValueError(
                f"unknown intercom_updates_sensor cursor version {data.get('version')}"
            )
        second, tie, created_from = data["position"]
        deleted_at, deleted_ids = data["deleted"]
        return cls(
            # An id there (cursors written before the walk went by created_at) restarts the
            # second from its beginning; `seen` keeps that from requesting anything twice.
            position=Position(
                int(second), bool(tie), created_from if isinstance(created_from, int) else None
            ),
            newest=int(data["newest"]),
            seen={str(k): int(v) for k, v in data["seen"].items()},
            deleted_at=deleted_at,
            deleted_ids=list(deleted_ids),
            pending={str(k): int(v) for k, v in data.get("pending", {}).items()},
        )
