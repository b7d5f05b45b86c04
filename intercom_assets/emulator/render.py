"""Version-specific JSON rendering of conversations, parts and the admin.

2.16 (and Preview) render graded `priority` and `0` for unassigned assignees; older versions
render `priority` / `not_priority` and `null`.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from intercom_assets.emulator.config import PART_CAP
from intercom_assets.emulator.data import TAGS, ConversationState
from intercom_assets.emulator.store import Store

_LINK = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.S | re.I)
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.I)
_TAG = re.compile(r"<[^>]+>")

ADMIN = {
    "type": "admin",
    "id": "991267401",
    "name": "Ciarán Lee",
    "email": "ciaran@emulated.example",
    "job_title": "Support lead",
    "away_mode_enabled": False,
    "away_mode_reassign": False,
    "has_inbox_seat": True,
    "team_ids": [5017691],
    "avatar": {
        "type": "avatar",
        "image_url": "https://static.intercomassets.com/assets/default-avatars/admins/128.png",
    },
    "email_verified": True,
    "app": {
        "type": "app",
        "id_code": "emulated",
        "name": "Emulated Workspace",
        "region": "US",
        "timezone": "Etc/UTC",
        "created_at": 1_577_836_800,
        "identity_verification": False,
        "secure": False,
    },
}


def to_plaintext(html: str) -> str:
    """What `display_as=plaintext` returns: no tags, entities decoded, links as `label (url)`."""
    text = _LINK.sub(lambda match: f"{match.group(2)} ({match.group(1)})", html)
    text = _BREAK.sub("\n", text)
    return unescape(_TAG.sub("", text)).strip()


def _statistics(state: ConversationState, base: dict[str, Any], total: int) -> dict[str, Any]:
    statistics = {
        **base,
        "count_reopens": state.count_reopens,
        "count_conversation_parts": total + 1,  # the opening message counts too
    }
    if state.last_close_at is not None:
        statistics |= {
            "time_to_first_close": state.last_close_at - state.created_at,
            "time_to_last_close": state.last_close_at - state.created_at,
            "first_close_at": state.last_close_at,
            "last_close_at": state.last_close_at,
            "last_closed_by_id": str(state.admin_assignee_id or ADMIN["id"]),
        }
    return statistics


def render_item(
    store: Store, state: ConversationState, modern: bool, plaintext: bool = False
) -> dict[str, Any]:
    """A `conversation_list_item`: the conversation without `conversation_parts`."""
    profile = store.profile(state)
    source = profile["source"]
    if plaintext:
        source = {
            **source,
            "subject": to_plaintext(source["subject"]),
            "body": to_plaintext(source["body"]),
        }
    admin_id, team_id = state.admin_assignee_id, state.team_assignee_id
    item: dict[str, Any] = {
        "type": "conversation",
        "id": str(state.id),
        "title": profile["title"],
        "created_at": state.created_at,
        "updated_at": state.updated_at,
        "waiting_since": state.waiting_since,
        "snoozed_until": state.snoozed_until,
        "open": state.state != "closed",
        "state": state.state,
        "read": state.read,
        "priority": state.priority if modern else _legacy_priority(state.priority),
        "admin_assignee_id": admin_id if modern or admin_id else None,
        "team_assignee_id": team_id if modern or team_id else None,
        "company": None,
        "tags": profile["tags"] if state.tag_ids is None else _tags(state),
        "conversation_rating": profile["conversation_rating"],
        "source": source,
        "contacts": profile["contacts"],
        "teammates": profile["teammates"],
        "custom_attributes": profile["custom_attributes"],
        "first_contact_reply": profile["first_contact_reply"],
        "sla_applied": profile["sla_applied"],
        "statistics": _statistics(state, profile["statistics"], store.total_parts(state)),
        "linked_objects": {"type": "list", "total_count": 0, "has_more": False, "data": []},
        "ai_agent_participated": profile["ai_agent_participated"],
        "ai_agent": None,
    }
    if modern:
        item |= {
            "sales_agent_participated": False,
            "sales_agent": None,
            "channel": {"initial": source["type"], "current": source["type"]},
        }
    if "x_emulator_extra" in profile:
        item["x_emulator_extra"] = profile["x_emulator_extra"]
    return item


def _tags(state: ConversationState) -> dict[str, Any]:
    """Tags set by `Emulator.set_attributes` (names from the workspace's tag list)."""
    names = dict(TAGS)
    return {
        "type": "tag.list",
        "tags": [
            {
                "type": "tag",
                "id": tag_id,
                "name": names.get(tag_id, f"tag {tag_id}"),
                "applied_at": state.created_at,
                "applied_by": {"type": "admin", "id": ADMIN["id"]},
            }
            for tag_id in state.tag_ids or ()
        ],
    }


def _legacy_priority(priority: str) -> str:
    return "not_priority" if priority == "none" else "priority"


def _plain_part(part: dict[str, Any]) -> dict[str, Any]:
    if part["body"] is None:
        return part
    return {**part, "body": to_plaintext(part["body"])}


def _scaled(part: dict[str, Any], body_scale: int) -> dict[str, Any]:
    if not isinstance(part["body"], str):
        return part
    return {**part, "body": part["body"] * body_scale}


def render_conversation(
    store: Store,
    state: ConversationState,
    modern: bool,
    plaintext: bool = False,
    include_parts: bool = True,
    total_count_capped: bool = False,
    cap: int | None = PART_CAP,
    body_scale: int = 1,
) -> dict[str, Any]:
    """A full `conversation` as `GET /conversations/{id}` returns it.

    Only the `cap` most recent parts are listed (oldest first); `total_count` reports the true
    count unless `total_count_capped`. `include_parts=False` models a token that may not read
    parts: an empty list with truthful counts. Each part's body is repeated `body_scale` times.
    """
    conversation = render_item(store, state, modern, plaintext)
    parts = store.parts(state)
    shown = parts if cap is None else parts[max(0, len(parts) - cap) :]
    if plaintext:
        shown = [_plain_part(part) for part in shown]
    if body_scale > 1:
        shown = [_scaled(part, body_scale) for part in shown]
    conversation["conversation_parts"] = {
        "type": "conversation_part.list",
        "conversation_parts": shown if include_parts else [],
        "total_count": len(shown) if total_count_capped else len(parts),
    }
    return conversation
