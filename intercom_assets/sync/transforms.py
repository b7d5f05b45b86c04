"""Pure functions from Intercom JSON to polars frames with explicit schemas.

Payloads drift (API versions, numbers sent as strings, nulls, unknown fields), so every field
is read defensively; the whole object is kept in `raw` so nothing the API sends is lost. A
record without a usable id or timestamps is returned as a rejection instead of raising, so
one bad record never fails a run.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from intercom_assets.client import codec
from intercom_assets.client.scan import Summarized, payload_digest, without_parts
from intercom_assets.storage.columns import CONVERSATIONS, MESSAGES, UTC_TS
from intercom_assets.sync.privacy import Privacy

CONVERSATION_SCHEMA: dict[str, pl.DataType] = CONVERSATIONS.frame_schema()
MESSAGE_SCHEMA: dict[str, pl.DataType] = MESSAGES.frame_schema()
MESSAGE_KEY = list(MESSAGES.key)

_TIMESTAMP_COLUMNS = ("created_at", "updated_at", "waiting_since", "snoozed_until")
_MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z
_MAX_INT32 = 2**31 - 1


@dataclass
class Rejected:
    """A record we could not use, with the id (if any) and why: logged and counted."""

    kind: str
    id: str | None
    reason: str


@dataclass
class Transformed:
    frame: pl.DataFrame
    rejected: list[Rejected] = field(default_factory=list)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def _number(value: Any, upper: int) -> int | None:
    """A whole number in [0, upper] from an int, float or numeric string; None otherwise."""
    if value.__class__ is int:  # the usual case, first (bool is not int here)
        return value if 0 <= value <= upper else None
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and 0 <= value <= upper:
        return int(value)
    return None


def _epoch(value: Any) -> int | None:
    """UNIX seconds; anything past year 9999 is as unusable as a non-number."""
    return _number(value, _MAX_EPOCH)


def _count(value: Any) -> int | None:
    return _number(value, _MAX_INT32)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _assignee(value: Any) -> str | None:
    """Unassigned is NULL whether the API version sends null (≤2.15) or 0 (2.16)."""
    text = _text(value)
    return None if text in (None, "", "0") else text


def _ids(container: Any, key: str, attr: str = "id") -> list[str]:
    items = _obj(container).get(key)
    if not isinstance(items, list):
        return []
    return [str(item[attr]) for item in items if isinstance(item, dict) and item.get(attr)]


def _parts_reported(conversation: dict[str, Any]) -> int | None:
    """Parts Intercom says exist, excluding the opening message (statistics count includes it)."""
    counted = _count(_obj(conversation.get("statistics")).get("count_conversation_parts"))
    if counted is not None:
        return max(counted - 1, 0)
    return _count(_obj(conversation.get("conversation_parts")).get("total_count"))


def _finish(rows: dict[str, list[Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Build the frame column by column (no per-row frame work) and convert epoch columns."""
    epoch_columns = [c for c in _TIMESTAMP_COLUMNS if c in schema]
    frame = pl.DataFrame(
        {name: rows[name] for name in schema if name != "synced_at"},
        schema={
            name: (pl.Int64() if name in epoch_columns else dtype)
            for name, dtype in schema.items()
            if name != "synced_at"
        },
    )
    return frame.with_columns(
        [pl.from_epoch(c, time_unit="s").dt.replace_time_zone("UTC") for c in epoch_columns]
    )


def _digest(conversation: dict[str, Any]) -> str:
    """A searched conversation's digest, computed already when it is a summary."""
    if conversation.__class__ is Summarized:
        return conversation.digest  # type: ignore[attr-defined]
    return payload_digest(conversation)


def payload_digests(conversations: Sequence[Any]) -> list[str | None]:
    """`payload_digest` of each payload (None for a record that is not an object); a
    summary's was computed with it."""
    return [_digest(c) if isinstance(c, dict) else None for c in conversations]


def conversation_versions(
    conversations: Sequence[Any], *, digests: bool | Sequence[str | None] = True
) -> pl.DataFrame:
    """(id, updated_at[, payload_digest]) of each usable conversation, newest per id.

    Enough to skip unchanged ones cheaply: a change that keeps `updated_at` still changes
    the digest. `digests` may be the payloads' `payload_digests`, already computed.
    """
    known = None if digests is False else digests
    if known is True:
        known = payload_digests(conversations)
    rows = [
        (_text(c.get("id")), _epoch(c.get("updated_at")), known[n] if known is not None else None)
        for n, c in enumerate(conversations)
        if isinstance(c, dict)
    ]
    usable = [row for row in rows if row[0] is not None and row[1] is not None]
    schema = {"id": pl.String(), "updated_at": pl.Int64(), "payload_digest": pl.String()}
    frame = pl.DataFrame(usable, schema=schema, orient="row")
    if known is None:
        frame = frame.drop("payload_digest")
    frame = frame.sort("updated_at", maintain_order=True).unique(
        "id", keep="last", maintain_order=True
    )
    return frame.with_columns(pl.from_epoch("updated_at", "s").dt.replace_time_zone("UTC"))


def conversations_frame(
    conversations: list[dict[str, Any]],
    synced_at: datetime,
    privacy: Privacy | None = None,
    *,
    digests: Sequence[str | None] | None = None,
) -> Transformed:
    """One row per usable conversation; `conversation_parts` is left out of `raw`.

    The digest is of the payload as Intercom sent it (before any privacy scrubbing), so it
    compares with `conversation_versions` of the next search; `digests` are those already
    computed (`payload_digests` of the same payloads).
    """
    if digests is None:
        digests = payload_digests(conversations)
    conversations = (privacy or Privacy.from_env()).scrub_all(conversations)
    columns = [c for c in CONVERSATION_SCHEMA if c != "synced_at"]
    rows: dict[str, list[Any]] = {name: [] for name in columns}
    rejected: list[Rejected] = []
    for conv, digest in zip(conversations, digests, strict=True):
        conv_id = _text(conv.get("id")) if isinstance(conv, dict) else None
        created, updated = _epoch(conv.get("created_at")), _epoch(conv.get("updated_at"))
        if conv_id is None or created is None:
            rejected.append(Rejected("conversation", conv_id, "missing id or created_at"))
            continue
        source = _obj(conv.get("source"))
        author = _obj(source.get("author"))
        tags = _obj(conv.get("tags")).get("tags")
        values = {
            "id": conv_id,
            "created_at": created,
            "updated_at": updated if updated is not None else created,
            "state": _text(conv.get("state")),
            "open": _bool(conv.get("open")),
            "read": _bool(conv.get("read")),
            "priority": _text(conv.get("priority")),
            "title": _text(conv.get("title")),
            "admin_assignee_id": _assignee(conv.get("admin_assignee_id")),
            "team_assignee_id": _assignee(conv.get("team_assignee_id")),
            "contact_ids": _ids(conv.get("contacts"), "contacts"),
            "teammate_ids": _ids(conv.get("teammates"), "teammates"),
            "tags": [str(t["name"]) for t in tags or [] if isinstance(t, dict) and t.get("name")]
            if isinstance(tags, list)
            else [],
            "source_type": _text(source.get("type")),
            "source_author_type": _text(author.get("type")),
            "source_author_id": _text(author.get("id")),
            "waiting_since": _epoch(conv.get("waiting_since")),
            "snoozed_until": _epoch(conv.get("snoozed_until")),
            "parts_reported": _parts_reported(conv),
            "raw": codec.dumps(without_parts(conv)),
            "payload_digest": digest,
        }
        for name in columns:
            rows[name].append(values[name])
    frame = _finish(rows, CONVERSATION_SCHEMA).with_columns(
        pl.lit(synced_at).cast(UTC_TS).alias("synced_at")
    )
    return Transformed(newest(frame, ["id"]), rejected)


def _str(value: Any) -> str | None:
    """`_text` with a fast path for what nearly every field is: a string already."""
    return value if value.__class__ is str else _text(value)


class _MessageColumns:
    """The messages frame's columns as Python lists, appended to one message at a time.

    A message has a dozen fields and a sync writes ~10^7 of them, so this is the hottest
    Python of the messages step: each field is appended to its list directly.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[Any]] = {c: [] for c in MESSAGE_SCHEMA if c != "synced_at"}
        r = self.rows
        self._columns = (
            r["conversation_id"].append,
            r["id"].append,
            r["part_type"].append,
            r["body"].append,
            r["author_type"].append,
            r["author_id"].append,
            r["author_name"].append,
            r["author_email"].append,
            r["created_at"].append,
            r["updated_at"].append,
            r["redacted"].append,
            r["raw"].append,
        )

    def add(
        self,
        conversation_id: str,
        message_id: str,
        part_type: str,
        part: dict[str, Any],
        created: int | None,
        updated: int | None,
    ) -> None:
        author = part.get("author")
        if not isinstance(author, dict):
            author = {}
        get = author.get
        redacted = part.get("redacted")
        (
            conversation_id_,
            id_,
            part_type_,
            body,
            author_type,
            author_id,
            author_name,
            author_email,
            created_at,
            updated_at,
            redacted_,
            raw,
        ) = self._columns
        conversation_id_(conversation_id)
        id_(message_id)
        part_type_(part_type)
        body(_str(part.get("body")))
        author_type(_str(get("type")))
        author_id(_str(get("id")))
        author_name(_str(get("name")))
        author_email(_str(get("email")))
        created_at(created)
        updated_at(updated)
        redacted_(redacted if redacted.__class__ is bool else bool(_bool(redacted)))
        raw(codec.dumps(part))


def messages_frame(
    conversations: list[dict[str, Any]], synced_at: datetime, privacy: Privacy | None = None
) -> Transformed:
    """The opening message (`part_type='source'`) plus every part of each retrieved conversation."""
    messages = message_rows(conversations, synced_at, privacy)
    return Transformed(newest(messages.frame, MESSAGE_KEY), messages.rejected)


def message_rows(
    conversations: list[dict[str, Any]], synced_at: datetime, privacy: Privacy | None = None
) -> Transformed:
    """`messages_frame` in payload order, before `newest`: a key seen twice is still twice.

    A batch transforms its payloads a chunk at a time and keeps the newest of each key once,
    over all its chunks (each sort and dedup is another pass over the batch's rows).
    """
    conversations = (privacy or Privacy.from_env()).scrub_all(conversations)
    columns = _MessageColumns()
    add = columns.add
    rejected: list[Rejected] = []
    for conv in conversations:
        conv_id = _text(conv.get("id"))
        if conv_id is None:
            rejected.append(Rejected("conversation", None, "missing id"))
            continue
        created = _epoch(conv.get("created_at"))
        source = _obj(conv.get("source"))
        source_id = _text(source.get("id")) or f"{conv_id}-source"
        add(conv_id, source_id, "source", source, created, created)
        parts = _obj(conv.get("conversation_parts")).get("conversation_parts")
        for part in parts if isinstance(parts, list) else []:
            part_id = _str(part.get("id")) if isinstance(part, dict) else None
            if part_id is None:
                rejected.append(Rejected("message", conv_id, "part without an id"))
                continue
            part_created = _epoch(part.get("created_at"))
            part_updated = _epoch(part.get("updated_at"))
            add(
                conv_id,
                part_id,
                _str(part.get("part_type")) or "unknown",
                part,
                part_created,
                part_updated if part_updated is not None else part_created,
            )
    frame = _finish(columns.rows, MESSAGE_SCHEMA).with_columns(
        pl.lit(synced_at).cast(UTC_TS).alias("synced_at")
    )
    return Transformed(frame, rejected)


def newest(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """One row per key, the one with the newest `updated_at` (the last of equals).

    An upsert statement given two rows of one key keeps an arbitrary one, so a batch that
    saw a conversation twice (pages shifting under a moving index) must not rely on order.
    """
    ordered = frame.sort("updated_at", nulls_last=False, maintain_order=True)
    return ordered.unique(key, keep="last", maintain_order=True)
