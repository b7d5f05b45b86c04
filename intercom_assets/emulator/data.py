"""Deterministic workspace generation.

Only a compact, mutable `ConversationState` is kept per conversation. Everything that never
changes (source, contacts, tags, parts ...) is regenerated on demand from (seed, conversation
id), so 100k conversations / 1M parts fit comfortably in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from random import Random
from typing import Any

DAY = 86_400
FIRST_CONVERSATION_ID = 100_000_000
LONG_ID_BASE = 100_000_000_000  # 12-digit ids (`EmulatorConfig.long_id_share`)
PART_ID_STRIDE = 100_000  # part id = conversation id * stride + index: globally unique

ADMINS: tuple[tuple[int, str, str], ...] = (
    (991267401, "Ciarán Lee", "ciaran@emulated.example"),
    (991267402, "Zoë Müller", "zoe@emulated.example"),
    (991267403, "محمد علي", "mohammed@emulated.example"),
    (991267404, "Dana Levi", "dana@emulated.example"),
    (991267405, "李小龙", "li@emulated.example"),
    (991267406, "Ama Owusu", "ama@emulated.example"),
)
TEAMS = (5017691, 5017692, 5017693)
TAGS = (("123456", "billing"), ("123457", "bug 🐛"), ("123458", "VIP"), ("123459", "عاجل"))
BOT = ("bot", "814860", "Fin", "operator+fin@intercom.io")
CUSTOMER = ("Jamie Rivera", "jamie@customer.example")

BODIES = (
    "<p>Hi, I can't log in to my account 😕</p>",
    "<p>مرحبا، لدي مشكلة في الفاتورة</p>",
    "<p>שלום, ההזמנה שלי לא הגיעה</p>",
    '<p>Thanks! See <a href="https://example.com/help">the help article</a>.</p>',
    "<p>Line one<br>Line two &amp; three</p>",
    "<p>日本語のサポートをお願いします 🙏</p>",
    "<p>Emoji family 👨\u200d👩\u200d👧\u200d👦 and flags 🇺🇦🇯🇵</p>",
    '<pre><code>Traceback (most recent call last):\n  File "app.py"</code></pre>',
    "<p>Ünïcödé naïve café \u2013 “quotes” &lt;not a tag&gt;</p>",
    "<p>" + "Long message about the export job that keeps failing. " * 120 + "</p>",
)
SUBJECTS = ("", "Order #4411 🚚", "Invoice question", "طلب استرداد", "Re: your trial")

# (part_type, weight, has_body)
PART_KINDS: tuple[tuple[str, int, bool], ...] = (
    ("comment", 40, True),
    ("note", 8, True),
    ("assignment", 8, False),
    ("open", 4, False),
    ("close", 6, False),
    ("snoozed", 3, False),
    ("assign_and_reopen", 3, False),
    ("quick_reply", 3, False),
    ("conversation_attribute_updated_by_admin", 4, False),
    ("custom_action_started", 2, False),
    ("custom_action_finished", 2, False),
    ("merged_primary_conversation", 1, True),
    ("call_summary", 1, True),
    ("ticket_state_updated_by_admin", 1, False),
    ("ticket_attribute_updated_by_admin", 1, False),
)
_KIND_NAMES = [kind[0] for kind in PART_KINDS]
_KIND_CUM_WEIGHTS = [sum(kind[1] for kind in PART_KINDS[: i + 1]) for i in range(len(PART_KINDS))]
_HAS_BODY = {name: has_body for name, _, has_body in PART_KINDS}
_STATE_AFTER = {
    "open": "open",
    "close": "closed",
    "snoozed": "snoozed",
    "assign_and_reopen": "open",
}
PRIORITIES = ("none", "low", "medium", "high", "urgent")
_PRIORITY_WEIGHTS = (60, 15, 12, 8, 5)


@dataclass(slots=True)
class ConversationState:
    """The per-conversation facts that searches filter on and mutations change."""

    id: int
    created_at: int
    updated_at: int
    parts_end: int
    base_parts: int
    state: str
    read: bool
    priority: str
    admin_assignee_id: int
    team_assignee_id: int
    snoozed_until: int | None = None
    waiting_since: int | None = None
    last_close_at: int | None = None
    count_reopens: int = 0
    extra_parts: list[dict[str, Any]] | None = None
    redactions: dict[str, int] | None = None
    planned_parts: int | None = None  # anchored history: original parts incl. future ones
    tag_ids: tuple[str, ...] | None = None  # replaces the generated tags once set


def _rng(seed: int, conversation_id: int, salt: int) -> Random:
    """An RNG stream per (seed, conversation, purpose), independent of PYTHONHASHSEED."""
    return Random((seed * 1_000_003 + conversation_id) * 8 + salt)


def part_time(created_at: int, parts_end: int, count: int, index: int) -> int:
    """When original part `index` of `count` was written: evenly spread up to `parts_end`."""
    return created_at + max(0, parts_end - created_at) * (index + 1) // count


def part_id(conversation_id: int, index: int) -> str:
    return str(conversation_id * PART_ID_STRIDE + index)


def _part_count(rng: Random, mean_parts: float) -> int:
    """Log-normal counts: most conversations are short, a few run into the hundreds."""
    sigma = 1.1
    mu = math.log(max(mean_parts, 0.5)) - sigma * sigma / 2
    return min(400, int(rng.lognormvariate(mu, sigma)))


def new_state(
    rng: Random, conversation_id: int, created_at: int, now: int, parts: int, parts_end: int
) -> ConversationState:
    """A conversation's mutable facts, drawn from the build RNG."""
    state = rng.choices(("closed", "open", "snoozed"), (55, 35, 10))[0]
    updated_at = parts_end if parts else created_at
    return ConversationState(
        id=conversation_id,
        created_at=created_at,
        updated_at=updated_at,
        parts_end=parts_end,
        base_parts=parts,
        state=state,
        read=rng.random() < 0.7,
        priority=rng.choices(PRIORITIES, _PRIORITY_WEIGHTS)[0],
        admin_assignee_id=0 if rng.random() < 0.25 else rng.choice(ADMINS)[0],
        team_assignee_id=0 if rng.random() < 0.4 else rng.choice(TEAMS),
        snoozed_until=now + rng.randint(3_600, 3 * DAY) if state == "snoozed" else None,
        waiting_since=updated_at if state == "open" and rng.random() < 0.5 else None,
        last_close_at=updated_at if state == "closed" else None,
    )


def generate_states(
    seed: int,
    now: int,
    days: int,
    per_day: int,
    mean_parts: float,
    large: int,
    long_id_share: float = 0.0,
    first_day: int | None = None,
) -> list[ConversationState]:
    """The initial history: `days` UTC days ending with today (up to `now`), ascending ids.

    The newest `long_id_share` of it gets 12-digit ids (still ascending), the rest 9 digits.
    With `first_day` (epoch seconds of a UTC midnight) the history is *anchored*: it runs from
    that day through tomorrow, drawn without looking at `now`, so any two emulators with the
    same seed and anchor agree on every conversation; `planned_parts` / `parts_end` then lie
    partly in the future and the store reveals them as its clock passes (see history.py).
    """
    rng = Random(seed)
    today = now - now % DAY
    anchored = first_day is not None
    if anchored:
        days = max(0, (today - first_day) // DAY + 2)
    horizon = 2**62 if anchored else now  # anchored draws never depend on `now`
    states: list[ConversationState] = []
    next_id = FIRST_CONVERSATION_ID
    long_from = round(days * per_day * (1 - long_id_share)) if long_id_share > 0 else -1
    for day in range(days):
        day_start = first_day + day * DAY if anchored else today - (days - 1 - day) * DAY
        day_end = min(day_start + DAY - 1, horizon)
        times = sorted(rng.randint(day_start, day_end) for _ in range(per_day))
        if times and day % 2 == 0:
            times[0] = day_start  # created exactly at UTC midnight
        for created_at in times:
            if len(states) == long_from:
                next_id += LONG_ID_BASE - FIRST_CONVERSATION_ID
            next_id += rng.randint(1, 9)
            parts = _part_count(rng, mean_parts)
            span = rng.choice((600, 7_200, DAY, 3 * DAY))
            parts_end = min(horizon, created_at + rng.randint(60, span))
            next_midnight = created_at - created_at % DAY + DAY
            if rng.random() < 0.02 and next_midnight <= horizon:
                parts_end = next_midnight  # last reply exactly on a day boundary
            clock = parts_end if anchored else now
            states.append(new_state(rng, next_id, created_at, clock, parts, parts_end))
    # Anchored: the large conversations are on the first day, whatever the history's length.
    pool = min(len(states), max(per_day, large)) if anchored else len(states)
    if anchored:
        rng = Random(seed + 2)  # its own stream: the main one has drawn for a varying day count
    for index in rng.sample(range(pool), min(large, pool)):
        target = states[index]
        target.base_parts = rng.randint(520, 900)
        target.parts_end = max(target.parts_end, min(horizon, target.created_at + 2 * DAY))
        target.updated_at = target.parts_end
        if target.last_close_at is not None:
            target.last_close_at = target.updated_at
        if target.waiting_since is not None:
            target.waiting_since = target.updated_at
    return states


def _admin(rng: Random) -> tuple[str, str, str, str]:
    admin_id, name, email = rng.choice(ADMINS)
    return ("admin", str(admin_id), name, email)


def _author(rng: Random, kind: str, conversation_id: int) -> tuple[str, str, str, str]:
    if kind in ("comment", "merged_primary_conversation"):
        pick = rng.random()
        if pick < 0.45:
            return ("user", f"{conversation_id:x}c0ffee", *CUSTOMER)
        if pick < 0.55:
            return ("lead", f"{conversation_id:x}1ead", "", "")
        if pick < 0.65:
            return BOT
    return BOT if rng.random() < 0.1 else _admin(rng)


def _event_details(rng: Random, kind: str) -> dict[str, Any] | None:
    if kind == "conversation_attribute_updated_by_admin":
        return {"attribute": {"name": "Plan"}, "value": {"name": "Pro", "previous": "Basic"}}
    if kind == "custom_action_started":
        return {"action": {"name": "Refund order"}}
    if kind == "custom_action_finished":
        return {"action": {"name": "Refund order", "result": rng.choice(("success", "failed"))}}
    return None


def _part(
    rng: Random, conversation_id: int, index: int, created_at: int, state: str, kind: str
) -> dict[str, Any]:
    author_type, author_id, name, email = _author(rng, kind, conversation_id)
    part: dict[str, Any] = {
        "type": "conversation_part",
        "id": part_id(conversation_id, index),
        "part_type": kind,
        "body": rng.choice(BODIES) if _HAS_BODY.get(kind, True) else None,
        "created_at": created_at,
        "updated_at": created_at,
        "notified_at": created_at,
        "assigned_to": None,
        "author": {
            "type": author_type,
            "id": author_id,
            "name": name,
            "email": email,
            "from_ai_agent": author_type == "bot",
            "is_ai_answer": author_type == "bot" and kind == "comment",
        },
        "attachments": [],
        "external_id": None,
        "redacted": False,
        "email_message_metadata": None,
        "metadata": None,
        "state": state,
        "tags": None,
        "event_details": _event_details(rng, kind),
        "app_package_code": None,
    }
    if kind in ("assignment", "assign_and_reopen"):
        part["assigned_to"] = {"type": "admin", "id": str(rng.choice(ADMINS)[0])}
    elif kind == "quick_reply":
        part["metadata"] = {
            "quick_reply_options": [
                {"text": "Yes 👍", "uuid": "2f8a3c1e-0000-4000-8000-000000000001"},
                {"text": "لا", "uuid": "2f8a3c1e-0000-4000-8000-000000000002"},
            ],
            "quick_reply_uuid": "2f8a3c1e-0000-4000-8000-000000000001",
        }
    if kind == "comment" and rng.random() < 0.05:
        part["attachments"] = [_attachment(conversation_id, index)]
    if rng.random() < 0.03:
        part["x_emulator_extra"] = {"why": "a field the published schema does not know"}
    return part


def _attachment(conversation_id: int, index: int) -> dict[str, Any]:
    return {
        "type": "upload",
        "name": "screenshot.png",
        "url": f"https://uploads.emulated.example/{conversation_id}/{index}.png",
        "content_type": "image/png",
        "filesize": 48_213,
        "width": 1280,
        "height": 720,
    }


@lru_cache(maxsize=64)
def generate_parts(
    seed: int, conversation_id: int, created_at: int, parts_end: int, count: int
) -> tuple[dict[str, Any], ...]:
    """The conversation's original parts, oldest first. Callers must not mutate them."""
    rng = _rng(seed, conversation_id, 1)
    kinds = rng.choices(_KIND_NAMES, cum_weights=_KIND_CUM_WEIGHTS, k=count)
    state = "open"
    parts = []
    for index, kind in enumerate(kinds):
        state = _STATE_AFTER.get(kind, state)
        timestamp = part_time(created_at, parts_end, count, index)
        parts.append(_part(rng, conversation_id, index, timestamp, state, kind))
    return tuple(parts)


def added_part(
    conversation_id: int, index: int, created_at: int, state: str, kind: str, author_type: str
) -> dict[str, Any]:
    """A part appended by a mutation (`Emulator.add_parts`, `close`, ...)."""
    rng = _rng(index, conversation_id, 2)
    part = _part(rng, conversation_id, index, created_at, state, kind)
    part.pop("x_emulator_extra", None)
    if author_type == "admin":
        _, author_id, name, email = _admin(rng)
    elif author_type == "bot":
        _, author_id, name, email = BOT
    else:
        author_id, name, email = (
            f"{conversation_id:x}c0ffee",
            "Jamie Rivera",
            "jamie@customer.example",
        )
    part["author"].update(
        type=author_type, id=author_id, name=name, email=email, from_ai_agent=author_type == "bot"
    )
    return part
