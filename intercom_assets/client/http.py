"""HTTP transport: one pooled session, auth/version headers, rate limiting, retries with backoff.

Retried: 429 (after the window's reset), 5xx (whose bodies may be HTML gateway pages, so they are
never parsed), connection errors / timeouts / dropped connections, and 200 responses whose body
is not a JSON object, and 404s that are not Intercom's JSON `not_found` (a gateway's HTML page
proves nothing about the resource). Never retried: 400/401/403, a JSON `not_found` 404 and other
4xx, which retrying cannot fix.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from intercom_assets.client import codec
from intercom_assets.client.concurrency import ConcurrencyController, PayloadBudget
from intercom_assets.client.errors import IntercomUnavailableError, client_error, is_gone
from intercom_assets.client.ratelimit import RateHeaders, RateLimiter
from intercom_assets.client.stats import RequestStats

# Transport-level failures worth another attempt (all subclasses of RequestException).
RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
CONNECT_TIMEOUT_SECONDS = 10.0
# Body size assumed for an endpoint before any of its responses has been seen.
FIRST_SIZE_ESTIMATE = 16 * 1024


@dataclass(frozen=True)
class _Retry:
    """Why an attempt failed transiently, and a fixed delay before the next one (None: backoff)."""

    reason: str
    delay: float | None = None
    status: int | None = None
    code: str | None = None


class Transport:
    """Sends one logical request, retrying transient faults; returns the JSON object."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        api_version: str,
        timeout: float,
        limiter: RateLimiter,
        controller: ConcurrencyController,
        payloads: PayloadBudget,
        stats: RequestStats,
        max_retries: int,
        logger: logging.Logger,
        backoff_base: float,
        backoff_max: float,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self._timeout = (min(CONNECT_TIMEOUT_SECONDS, timeout), timeout)
        self._limiter = limiter
        self._controller = controller
        self._payloads = payloads
        self._sizes: dict[str, tuple[int, int]] = {}  # endpoint -> (bodies, bytes) seen
        self._stats = stats
        self._max_retries = max_retries
        self._log = logger
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=controller.ceiling, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Intercom-Version": api_version,
                "Accept": "application/json",
            }
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Perform `method path`; raise a typed IntercomError when it cannot succeed."""
        payload, content = self.request_bytes(
            method, path, endpoint=endpoint, params=params, body=body
        )
        self._payloads.release(len(content))
        return payload

    def request_bytes(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        decode: Callable[[bytes], Any] | None = codec.loads,
    ) -> tuple[Any, bytes]:
        """`request`, plus the body's bytes, which stay counted in the payload budget
        (`len(content)`) until the caller passes that size to `release_payload`, when its
        consumer has taken the payload. A caller that holds a payload a while can keep these
        bytes instead of the decoded tree, ~3x larger, and decode them again when consumed.
        `decode` (raising ValueError for what is not JSON) may return a lighter form of the
        payload than the whole tree; with `decode=None` the payload is the bytes, for a
        consumer that decodes them elsewhere (another process), unchecked here."""
        label = f"{method} {path}"
        for attempt in range(self._max_retries + 1):
            outcome = self._attempt(method, path, endpoint, params, body, decode)
            if isinstance(outcome, tuple):
                return outcome
            if attempt == self._max_retries:
                break
            delay = outcome.delay if outcome.delay is not None else self._backoff(attempt)
            self._stats.count("retries")
            self._log.warning(
                "Intercom %s: %s; retry %d/%d in %.1fs",
                label,
                outcome.reason,
                attempt + 1,
                self._max_retries,
                delay,
            )
            time.sleep(delay)
        raise IntercomUnavailableError(
            f"Intercom did not answer {label} after {self._max_retries + 1} attempts "
            f"(last: {outcome.reason}). Check https://www.intercomstatus.com and the network; "
            "re-running resumes where this run stopped.",
            status=outcome.status,
            code=outcome.code,
        )

    def _attempt(
        self,
        method: str,
        path: str,
        endpoint: str,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        decode: Callable[[bytes], Any] | None,
    ) -> tuple[Any, bytes] | _Retry:
        """One HTTP attempt under the payload budget, the concurrency controller and the rate
        limiter. Returns (payload, body held); non-retryable responses raise here."""
        estimate = self._size_estimate(endpoint)
        self._payloads.reserve(estimate)
        size = 0
        try:
            slot = self._controller.acquire()
            ticket = self._limiter.acquire()
            self._controller.sent(slot)
            self._stats.count_request(endpoint)
            response: requests.Response | None = None
            sent = time.monotonic()
            try:
                response = self._session.request(
                    method, self.base_url + path, params=params, json=body, timeout=self._timeout
                )
                content = response.content
            except RETRYABLE_EXCEPTIONS as exc:
                return _Retry(f"{type(exc).__name__} (connection problem)")
            finally:
                latency = time.monotonic() - sent if response is not None else None
                rate = RateHeaders.parse(response.headers) if response is not None else None
                exhausted = response is not None and response.status_code == 429
                self._limiter.release(ticket, rate, exhausted=exhausted)
                self._controller.release(slot, latency, rate, exhausted=exhausted)
            outcome = self._interpret(
                response.status_code, content, rate, f"{method} {path}", decode
            )
            if not isinstance(outcome, _Retry):
                size = len(content)
                self._record_size(endpoint, size)
                return outcome, content
            return outcome
        finally:
            self._payloads.settle(estimate, size)

    def release_payload(self, size: int) -> None:
        """The consumer has taken a payload returned by `request_bytes`."""
        self._payloads.release(size)

    def _size_estimate(self, endpoint: str) -> int:
        bodies, total = self._sizes.get(endpoint, (0, 0))
        return total // bodies if bodies else FIRST_SIZE_ESTIMATE

    def _record_size(self, endpoint: str, size: int) -> None:
        bodies, total = self._sizes.get(endpoint, (0, 0))  # racy by design: an estimate
        self._sizes[endpoint] = (bodies + 1, total + size)

    def _interpret(
        self,
        status: int,
        content: bytes,
        rate: RateHeaders | None,
        label: str,
        decode: Callable[[bytes], Any] | None,
    ) -> dict[str, Any] | bytes | _Retry:
        if status == 429:
            self._stats.count("rate_limited")
            reset_in = rate.reset - time.time() if rate and rate.reset is not None else None
            if reset_in is None or reset_in <= 0:
                return _Retry("HTTP 429 rate_limit_exceeded", None, 429, "rate_limit_exceeded")
            # The limiter now holds every thread until the reset: no extra sleep here.
            reason = f"HTTP 429 rate_limit_exceeded, window resets in {reset_in:.1f}s"
            return _Retry(reason, 0.0, 429, "rate_limit_exceeded")
        if status >= 500:
            self._stats.count("server_errors")
            return _Retry(f"HTTP {status} server error", status=status)
        if status == 404 and not is_gone(status, content):
            # A gateway's HTML 404 (or any non-Intercom 404) is no proof of a deletion.
            self._stats.count("foreign_404s")
            return _Retry("HTTP 404 without Intercom's not_found error (a gateway?)", status=404)
        if status >= 400:
            raise client_error(status, content, request=label, api_version=self.api_version)
        if decode is None:
            return content
        try:
            payload = decode(content)
        except ValueError:
            return _Retry(f"HTTP {status} with a body that is not valid JSON", status=status)
        if not isinstance(payload, dict):
            return _Retry(f"HTTP {status} with a JSON body that is not an object", status=status)
        return payload

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with 'equal jitter' so retrying threads spread out."""
        ceiling = min(self._backoff_max, self._backoff_base * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def close(self) -> None:
        self._session.close()
