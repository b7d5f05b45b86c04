"""The local control endpoint under `/_emulator/`: what a person (or a browser test) uses to
change the emulated workspace while it runs. No auth, no faults, no rate limit, not counted:
it exists only on the emulator, which listens on loopback.

    GET    /_emulator/health                       now, first day, sizes, activity counts
    GET    /_emulator/requests                     API requests per endpoint and per status
    POST   /_emulator/requests/reset
    POST   /_emulator/clock                        {"advance_seconds": 3600} or {"now": epoch}
    POST   /_emulator/tokens                       {"token": "t", "mode": "revoked"}
    GET    /_emulator/conversations?limit=20       the newest live ids
    POST   /_emulator/conversations                {"parts": 3, "created_at": epoch?}
    GET    /_emulator/conversations/{id}           the conversation with every part
    DELETE /_emulator/conversations/{id}
    POST   /_emulator/conversations/{id}/reply     {"count": 1, "author_type": "user"}
    POST   /_emulator/conversations/{id}/close | reopen
    POST   /_emulator/conversations/{id}/snooze    {"until": epoch}
    POST   /_emulator/conversations/{id}/parts/{part_id}/redact
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from intercom_assets.emulator.gateway import TOKEN_MODES

if TYPE_CHECKING:
    from intercom_assets.emulator.emulator import Emulator

PREFIX = "/_emulator"


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def handle_control(
    emulator: Emulator, method: str, path: str, query: dict[str, str], body: bytes
) -> tuple[int, dict[str, Any]]:
    """Answer one control request with (status, JSON body)."""
    try:
        payload = json.loads(body) if body else {}
        if not isinstance(payload, dict):
            raise ControlError(400, "the body must be a JSON object")
        parts = [piece for piece in path[len(PREFIX) :].split("/") if piece]
        return 200, _route(emulator, method, parts, query, payload)
    except ValueError as error:
        return 400, {"error": str(error)}
    except KeyError as error:
        return 404, {"error": str(error.args[0] if error.args else error)}
    except ControlError as error:
        return error.status, {"error": str(error)}


def _route(
    emulator: Emulator, method: str, parts: list[str], query: dict[str, str], body: dict
) -> dict[str, Any]:
    route = (method, *parts[:1])
    if route == ("GET", "health"):
        return emulator.health()
    if route == ("GET", "requests"):
        return {"requests": dict(emulator.requests), "statuses": dict(emulator.status_counts)}
    if (method, *parts) == ("POST", "requests", "reset"):
        emulator.reset_counters()
        return {"reset": True}
    if route == ("POST", "clock"):
        if "now" in body:
            emulator.set_now(int(body["now"]))
        else:
            emulator.advance(int(body.get("advance_seconds", 0)))
        return {"now": emulator.now()}
    if route == ("POST", "tokens"):
        token, mode = str(body.get("token") or ""), str(body.get("mode") or "")
        if not token or mode not in TOKEN_MODES:
            raise ValueError(f"need a token and a mode in {sorted(TOKEN_MODES)}")
        emulator.set_token(token, mode)
        return {"token_mode": mode}
    if parts[:1] == ["conversations"]:
        return _conversations(emulator, method, parts[1:], query, body)
    raise ControlError(404, f"no control route {method} {PREFIX}/{'/'.join(parts)}")


def _conversations(
    emulator: Emulator, method: str, parts: list[str], query: dict[str, str], body: dict
) -> dict[str, Any]:
    if not parts:
        if method == "GET":
            return {"ids": emulator.conversation_ids()[-int(query.get("limit", 20)) :]}
        if method == "POST":
            created = body.get("created_at")
            created_at = None if created is None else int(created)
            return {"id": emulator.create_conversation(created_at, int(body.get("parts", 3)))}
    conversation_id, action = parts[0], parts[1:]
    if not action and method == "GET":
        return emulator.snapshot(conversation_id)
    if not action and method == "DELETE":
        emulator.delete(conversation_id)
        return {"deleted": conversation_id}
    actions: dict[tuple[str, ...], Callable[[], Any]] = {
        ("reply",): lambda: {
            "part_ids": emulator.add_parts(
                conversation_id,
                int(body.get("count", 1)),
                str(body.get("part_type", "comment")),
                str(body.get("author_type", "user")),
            )
        },
        ("close",): lambda: emulator.close(conversation_id),
        ("reopen",): lambda: emulator.reopen(conversation_id),
        ("snooze",): lambda: emulator.snooze(
            conversation_id, int(body.get("until") or emulator.now() + 3_600)
        ),
    }
    if len(action) == 3 and action[0] == "parts" and action[2] == "redact":
        actions[tuple(action)] = lambda: emulator.redact_part(conversation_id, action[1])
    if method != "POST" or tuple(action) not in actions:
        raise ControlError(404, f"no control route {method} {'/'.join(['conversations', *parts])}")
    result = actions[tuple(action)]()
    return result if isinstance(result, dict) else {"id": conversation_id, "done": "/".join(action)}
