"""A messages batch, kept compact while it waits for the writer.

Decoded GET payloads are Python trees of ~40 KB per conversation, and a batch waits in the
writer's queue behind up to two others. So every `CHUNK` conversations the fetching thread
(or the helper process of `decoding.py`) turns the payloads into their message rows and keeps
only the payloads without their parts; once per batch the rows are deduplicated and the
version rows built (neither depends on what is stored). That holds
a batch in Arrow strings instead of dicts, lets a batch be larger (fewer statements, each a
join against the conversations table) and moves the transforms off the writer thread, so
they run while DuckDB (which releases the GIL) writes the previous batch.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import polars as pl

from intercom_assets.storage.columns import UTC_TS
from intercom_assets.sync.privacy import Privacy
from intercom_assets.sync.transforms import (
    MESSAGE_KEY,
    Rejected,
    conversation_versions,
    message_rows,
    newest,
)


@dataclass(frozen=True)
class FetchLimits:
    """A batch closes at whichever comes first."""

    conversations: int
    parts: int
    bytes: int


# Conversations transformed together: enough to amortise building frames, few enough that
# the payloads held before it stay small.
CHUNK = 100


@dataclass(frozen=True)
class Prepared:
    """What a batch write needs of its retrieved conversations.

    `found` are the payloads without their parts' list (a conversation row is built from them
    when its `updated_at` moved); `messages` and `rejected` are those of every payload, to be
    kept only for the conversations the write accepts.
    """

    found: list[dict[str, Any]]
    versions: pl.DataFrame
    messages: pl.DataFrame
    rejected: list[Rejected]

    def accepted(self, usable: set[str], synced_at: datetime) -> tuple[pl.DataFrame, list]:
        """Messages and message rejections of the `usable` conversations, stamped `synced_at`."""
        frame = self.messages
        if not usable.issuperset(self.ids):
            frame = frame.filter(pl.col("conversation_id").is_in(list(usable)))
        frame = frame.with_columns(pl.lit(synced_at).cast(UTC_TS).alias("synced_at"))
        return frame, [r for r in self.rejected if r.id in usable]

    @cached_property
    def ids(self) -> frozenset[str]:
        """Ids of the retrieved conversations (each once)."""
        return frozenset(self.versions["id"].to_list())

    @cached_property
    def counts(self) -> dict[str, int]:
        """Messages per conversation id (ids without messages are left out)."""
        return dict(self.messages.group_by("conversation_id").len().iter_rows())


def _without_part_list(conversation: Any) -> Any:
    """The payload as `conversations_frame` reads it: everything but the parts themselves."""
    if not isinstance(conversation, dict):
        return conversation
    parts = conversation.get("conversation_parts")
    if not isinstance(parts, dict):
        return conversation
    light = dict(conversation)
    light["conversation_parts"] = {k: v for k, v in parts.items() if k != "conversation_parts"}
    return light


@dataclass(frozen=True)
class Chunk:
    """`CHUNK` transformed payloads: their light copies, message rows (keys not deduplicated
    yet) and rejections."""

    found: list[Any]
    messages: pl.DataFrame
    rejected: list[Rejected]


def prepare(
    conversations: list[dict[str, Any]], synced_at: datetime, privacy: Privacy | None = None
) -> Chunk:
    """Transform retrieved payloads into a `Chunk` (the payloads can then go)."""
    messages = message_rows(conversations, synced_at, privacy)
    return Chunk([_without_part_list(c) for c in conversations], messages.frame, messages.rejected)


def combine(chunks: list[Chunk]) -> Prepared:
    """One `Prepared` of a batch's chunks, newest version per id and per message as in one
    transform (sorted and deduplicated once, here: light copies keep `updated_at`)."""
    found = [conversation for c in chunks for conversation in c.found]
    frames = [c.messages for c in chunks]
    return Prepared(
        found,
        conversation_versions(found, digests=False),
        newest(frames[0] if len(frames) == 1 else pl.concat(frames), MESSAGE_KEY),
        [rejected for c in chunks for rejected in c.rejected],
    )


def weigh(conversation: dict[str, Any]) -> tuple[int, int]:
    """(parts, characters of part bodies): what a conversation adds to a batch."""
    parts = (conversation.get("conversation_parts") or {}).get("conversation_parts")
    if not isinstance(parts, list):
        return 0, 0
    size = sum(
        len(body)
        for part in parts
        if isinstance(part, dict) and isinstance(body := part.get("body"), str)
    )
    return len(parts), size


@dataclass
class Batch:
    """Retrieved conversations and 404'd ids committed together in one transaction."""

    synced_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    chunks: list[Chunk] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    conversations: int = 0
    parts: int = 0
    bytes: int = 0

    @property
    def size(self) -> int:
        return self.conversations + len(self.gone)

    def full(self, limits: FetchLimits) -> bool:
        """Whether the batch reached any of `limits`: then it is written."""
        return (
            self.size >= limits.conversations
            or self.parts >= limits.parts
            or self.bytes >= limits.bytes
        )

    def add(self, conversation: dict[str, Any]) -> None:
        """Count a retrieved payload in; every `CHUNK` of them are prepared at once."""
        parts, size = weigh(conversation)
        self.conversations += 1
        self.parts += parts
        self.bytes += size
        self.pending.append(conversation)
        if len(self.pending) >= CHUNK:
            self._prepare_pending()

    def add_chunk(self, chunk: Chunk, parts: int, size: int) -> None:
        """Count in payloads prepared elsewhere (`decoding.py`), with their weights."""
        self.conversations += len(chunk.found)
        self.parts += parts
        self.bytes += size
        self.chunks.append(chunk)

    def _prepare_pending(self) -> None:
        if self.pending:
            self.chunks.append(prepare(self.pending, self.synced_at))
            self.pending = []

    def prepared(self) -> Prepared:
        """Every retrieved conversation of the batch, prepared (its ids and counts too)."""
        self._prepare_pending()
        prepared = combine(self.chunks or [prepare([], self.synced_at)])
        _ = (prepared.ids, prepared.counts)  # computed here, not on the writer thread
        return prepared
