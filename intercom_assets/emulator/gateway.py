"""The request pipeline in front of the endpoints: faults, auth, scopes, rate limits, counters.

Order matters and mirrors a real edge: infrastructure faults (latency, drops, 5xx) happen
before authentication; rate-limit headers only go on authenticated responses.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from intercom_assets.emulator.api import CONVERSATION_ENDPOINTS, Api, Request, endpoint_of
from intercom_assets.emulator.config import EmulatorConfig
from intercom_assets.emulator.errors import ApiError
from intercom_assets.emulator.faults import HTML_404, HTML_503, FaultInjector, break_types
from intercom_assets.emulator.ratelimit import FixedWindowLimiter
from intercom_assets.emulator.store import Store

TOKEN_MODES = frozenset(
    {"valid", "revoked", "unknown", "no_scope", "no_parts", "no_admins", "no_tags"}
)
# Modes lacking an optional permission: (the endpoints it guards, Intercom's scope name).
_OPTIONAL_SCOPES = {
    "no_admins": (frozenset({"admins", "teams"}), "read_admins"),
    "no_tags": (frozenset({"tags"}), "read_tags"),
}
JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, payload: dict[str, Any], headers: dict[str, str]) -> Response:
    """orjson, so the emulator's own encoding does not bound a benchmark's throughput; the
    standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        body = orjson.dumps(payload)
    except TypeError:
        body = json.dumps(payload, ensure_ascii=False).encode()
    return Response(status, body, JSON, headers)


def _error(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    return _json(error.status, error.body(), headers or {})


class Gateway:
    """Turns one parsed HTTP request into a Response, or None to drop the connection."""

    def __init__(self, store: Store, config: EmulatorConfig) -> None:
        self.config = config
        self.faults = FaultInjector(config)
        self.limiter = FixedWindowLimiter(config)
        self.api = Api(store, config, self.faults)
        self.tokens: dict[str, str] = {config.token: "valid"}
        self.requests: Counter[str] = Counter()
        self.status_counts: Counter[int] = Counter()
        self.in_flight = 0  # requests being handled right now, and the most seen at once
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        # `/_emulator/...` requests go here untouched (see control.py); set by the Emulator.
        self.control: Callable[[str, str, dict, bytes], tuple[int, dict]] | None = None

    def set_token(self, token: str, mode: str) -> None:
        if mode not in TOKEN_MODES:
            raise ValueError(f"mode must be one of {sorted(TOKEN_MODES)}, not {mode!r}")
        with self._lock:
            if mode == "unknown":
                self.tokens.pop(token, None)
            else:
                self.tokens[token] = mode

    def reset_counters(self) -> None:
        with self._lock:
            self.requests.clear()
            self.status_counts.clear()
            self.peak_in_flight = self.in_flight

    def respond(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        base_url: str,
    ) -> Response | None:
        """`headers` keys must be lower-case."""
        if self.control is not None and path.startswith("/_emulator/"):
            return _json(*self.control(method, path, query, body), {})
        endpoint = endpoint_of(method, path)
        with self._lock:
            self.requests[endpoint] += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            response = self._respond(endpoint, path, query, headers, body, base_url)
        finally:
            with self._lock:
                self.in_flight -= 1
        if response is not None:
            with self._lock:
                self.status_counts[response.status] += 1
        return response

    def _respond(
        self,
        endpoint: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        base_url: str,
    ) -> Response | None:
        faults = self.config.faults
        delay = self.faults.latency_seconds(endpoint)
        if delay and not faults.charge_on_arrival:
            time.sleep(delay)
        if self.faults.roll(faults.drop_rate):
            return None
        if self.faults.roll(faults.html_503_rate):
            return Response(503, HTML_503, "text/html; charset=utf-8")
        if self.faults.roll(faults.json_500_rate):
            return _error(ApiError(500, "server_error", "An internal server error occurred."))
        if endpoint == "get" and self.faults.roll(faults.html_404_rate):
            return Response(404, HTML_404, "text/html; charset=utf-8")
        try:
            mode = self._authenticate(headers.get("authorization", ""))
        except ApiError as error:
            return _error(error)
        quota = self.limiter.hit()
        if delay and faults.charge_on_arrival:
            time.sleep(delay)
        if self.faults.in_storm() or not quota.allowed:
            window = f"{self.config.window_seconds:g}_seconds"
            limit_error = ApiError(
                429, "rate_limit_exceeded", f"Exceeded rate limit of {quota.limit} in {window}"
            )
            return _error(limit_error, {**quota.headers(), "X-RateLimit-Remaining": "0"})
        request = Request(
            endpoint=endpoint,
            path=path,
            query=query,
            body=body,
            version=headers.get("intercom-version") or self.config.api_version,
            can_read_parts=mode != "no_parts",
            base_url=base_url,
        )
        try:
            if mode == "no_scope" and endpoint in CONVERSATION_ENDPOINTS:
                raise ApiError(
                    403,
                    "forbidden",
                    "You do not have the required scope (read_conversations) "
                    "to access this resource",
                )
            endpoints, scope = _OPTIONAL_SCOPES.get(mode, (frozenset(), ""))
            if endpoint in endpoints:
                raise ApiError(
                    403,
                    "forbidden",
                    f"You do not have the required scope ({scope}) to access this resource",
                )
            payload = self.api.handle(request)
        except ApiError as error:
            return _error(error, quota.headers())
        return self._success(payload, quota.headers())

    def _authenticate(self, authorization: str) -> str:
        scheme, _, token = authorization.partition(" ")
        mode = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if mode is None:
            raise ApiError(401, "unauthorized", "Access Token Invalid")
        if mode == "revoked":
            raise ApiError(401, "token_revoked", "The token or API Key has been revoked")
        return mode

    def _success(self, payload: dict[str, Any], headers: dict[str, str]) -> Response:
        """A 200, possibly corrupted by the schema-breaking faults (off by default)."""
        faults = self.config.faults
        if self.faults.roll(faults.invalid_json_rate):
            return Response(200, b"{'type': 'conversation.list', oops: <not json>", JSON, headers)
        if self.faults.roll(faults.truncated_json_rate):
            encoded = _json(200, payload, headers).body
            return Response(200, encoded[: max(1, len(encoded) // 2)], JSON, headers)
        if self.faults.roll(faults.wrong_types_rate):
            payload = break_types(payload)
        return _json(200, payload, headers)
