"""Hand-written Intercom payloads shaped like the official 2.16 examples, for transform tests."""

from typing import Any


def conversation(
    conv_id: str = "503",
    *,
    created_at: int = 1_734_537_511,
    updated_at: int = 1_734_537_600,
    parts: int = 2,
    version: str = "2.16",
    with_parts: bool = True,
) -> dict[str, Any]:
    unassigned: int | None = 0 if version == "2.16" else None
    body: dict[str, Any] = {
        "type": "conversation",
        "id": conv_id,
        "created_at": created_at,
        "updated_at": updated_at,
        "title": None,
        "open": True,
        "state": "open",
        "read": False,
        "priority": "none" if version == "2.16" else "not_priority",
        "admin_assignee_id": unassigned,
        "team_assignee_id": 5_017_691,
        "waiting_since": created_at,
        "snoozed_until": None,
        "source": {
            "type": "conversation",
            "id": f"src-{conv_id}",
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": "<p>Hello — مرحبا 👋</p>",
            "author": {"type": "user", "id": "u-1", "name": "Ada", "email": "ada@example.com"},
            "attachments": [],
            "url": None,
            "redacted": False,
        },
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c-1"}]},
        "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": "274"}]},
        "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "9", "name": "billing"}]},
        "statistics": {"type": "conversation_statistics", "count_conversation_parts": parts + 1},
        "x_unknown_field": {"nested": [1, 2, 3]},
    }
    if with_parts:
        body["conversation_parts"] = {
            "type": "conversation_part.list",
            "total_count": parts,
            "conversation_parts": [
                {
                    "type": "conversation_part",
                    "id": f"{conv_id}-p{i}",
                    "part_type": "comment" if i % 2 == 0 else "close",
                    "body": f"<p>reply {i}</p>" if i % 2 == 0 else None,
                    "created_at": created_at + 10 * (i + 1),
                    "updated_at": created_at + 10 * (i + 1),
                    "author": {"type": "admin", "id": "274", "name": "Op", "email": "op@x.io"},
                    "redacted": False,
                }
                for i in range(parts)
            ],
        }
    return body
