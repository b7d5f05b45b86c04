"""The immutable, descriptive side of a conversation (source, people, tags ...).

Regenerated from (seed, conversation id) whenever a response needs it, never stored.
"""

from __future__ import annotations

from functools import lru_cache
from random import Random
from typing import Any

from intercom_assets.emulator.data import ADMINS, BODIES, BOT, SUBJECTS, TAGS, TEAMS

_SOURCE_TYPES = ("conversation", "conversation", "conversation", "email", "whatsapp", "phone_call")
_DELIVERY = ("customer_initiated", "customer_initiated", "admin_initiated", "automated")
_TITLES = ("Refund for order #12 🧾", "Login problem", "مشكلة في الدفع", "")


def _rng(seed: int, conversation_id: int) -> Random:
    return Random((seed * 1_000_003 + conversation_id) * 8 + 3)


def _source(rng: Random, conversation_id: int) -> dict[str, Any]:
    delivered_as = rng.choice(_DELIVERY)
    source_type = rng.choice(_SOURCE_TYPES)
    if delivered_as == "customer_initiated":
        lead = rng.random() < 0.2
        author = {
            "type": "lead" if lead else "user",
            "id": f"{conversation_id:x}{'1ead' if lead else 'c0ffee'}",
            "name": None if lead else "Jamie Rivera",
            "email": None if lead else "jamie@customer.example",
        }
    elif delivered_as == "automated":
        author = dict(zip(("type", "id", "name", "email"), BOT, strict=True))
    else:
        admin_id, name, email = rng.choice(ADMINS)
        author = {"type": "admin", "id": str(admin_id), "name": name, "email": email}
    has_id = rng.random() >= 0.03  # a few sources come back with `id: null`
    return {
        "type": source_type,
        "id": str(400_000_000 + conversation_id % 500_000_000) if has_id else None,
        "delivered_as": delivered_as,
        "subject": rng.choice(SUBJECTS) if source_type == "email" else "",
        "body": rng.choice(BODIES),
        "author": author,
        "attachments": [],
        "url": "https://shop.emulated.example/checkout" if source_type == "conversation" else None,
        "redacted": False,
    }


def _statistics(rng: Random, created_at: int, parts_end: int) -> dict[str, Any]:
    """The statistics that do not depend on mutable state (counts and closes are added later)."""
    span = max(1, parts_end - created_at)
    reply = created_at + rng.randint(0, span)
    assignment = created_at + rng.randint(0, span)
    return {
        "type": "conversation_statistics",
        "time_to_assignment": assignment - created_at,
        "time_to_admin_reply": reply - created_at,
        "median_time_to_reply": rng.randint(30, 7_200),
        "first_contact_reply_at": created_at,
        "first_assignment_at": assignment,
        "first_admin_reply_at": reply,
        "last_assignment_at": assignment,
        "last_assignment_admin_reply_at": reply,
        "last_contact_reply_at": parts_end,
        "last_admin_reply_at": reply,
        "count_assignments": rng.randint(0, 4),
        "assigned_team_first_response_time": [
            {"team_id": TEAMS[0], "team_name": "Support 🛟", "response_time": reply - created_at}
        ],
        "handling_time": rng.randint(0, 3_600),
    }


# Large enough for a full refresh of 10^5 conversations to regenerate none of them (~1 KiB
# each): otherwise regenerating profiles is a third of the emulator's CPU per search page.
@lru_cache(maxsize=2**17)
def generate_profile(
    seed: int, conversation_id: int, created_at: int, parts_end: int
) -> dict[str, Any]:
    """Fields that never change after creation. Callers must not mutate the result."""
    rng = _rng(seed, conversation_id)
    contact_id = f"{conversation_id:x}c0ffee"
    tags = rng.sample(TAGS, rng.choice((0, 0, 1, 2)))
    admin_id = str(rng.choice(ADMINS)[0])
    rated = rng.random() < 0.3
    custom: dict[str, Any] = {"Plan": rng.choice(("Free", "Pro", "Enterprise"))}
    if rng.random() < 0.5:
        custom["Order value"] = rng.randint(5, 5_000)
        custom["Notes"] = "عميل مهم 🌟"
    profile: dict[str, Any] = {
        "title": rng.choice(_TITLES) or None,
        "source": _source(rng, conversation_id),
        "contacts": {
            "type": "contact.list",
            "contacts": [
                {"type": "contact", "id": contact_id, "external_id": rng.choice(("70", None))}
            ],
        },
        "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": admin_id}]},
        "tags": {
            "type": "tag.list",
            "tags": [
                {
                    "type": "tag",
                    "id": tag_id,
                    "name": name,
                    "applied_at": created_at,
                    "applied_by": {"type": "admin", "id": admin_id},
                }
                for tag_id, name in tags
            ],
        },
        "custom_attributes": custom,
        "conversation_rating": {
            "rating": rng.randint(1, 5),
            "remark": rng.choice(("", "Great help 👏", "بطيء جدا")),
            "created_at": parts_end,
            "updated_at": parts_end,
            "contact": {"type": "contact", "id": contact_id, "external_id": None},
            "teammate": {"type": "admin", "id": admin_id},
        }
        if rated
        else None,
        "first_contact_reply": {"created_at": created_at, "type": "conversation", "url": None},
        "sla_applied": {
            "type": "conversation_sla_summary",
            "sla_name": "VIP 1h",
            "sla_status": rng.choice(("hit", "missed", "active")),
        }
        if rng.random() < 0.15
        else None,
        "statistics": _statistics(rng, created_at, parts_end),
        "ai_agent_participated": rng.random() < 0.1,
    }
    if rng.random() < 0.1:
        profile["x_emulator_extra"] = {"why": "a field the published schema does not know"}
    return profile
