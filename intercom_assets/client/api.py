"""IntercomClient: the endpoints the sync needs, with pagination and adaptive concurrency.

Search pages within one window form a sequential cursor chain, and Intercom's search can take
seconds per page, so long ranges are split into windows searched in parallel. Parts come only
from one GET per conversation, so those run in parallel too. Everything shares one transport,
hence one rate limiter, one concurrency controller (how many requests are in flight, from
latency and the budget), one payload budget (bytes held) and one set of counters.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from functools import partial
from typing import Any, cast
from urllib.parse import quote

from intercom_assets.client import codec
from intercom_assets.client.concurrency import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_PAYLOAD_BYTES,
    ConcurrencyController,
    PayloadBudget,
)
from intercom_assets.client.errors import (
    IntercomError,
    IntercomNotFoundError,
    IntercomRequestError,
    IntercomUnavailableError,
)
from intercom_assets.client.feed import IdFeed, id_source
from intercom_assets.client.http import Transport
from intercom_assets.client.pool import ElasticPool
from intercom_assets.client.queries import (
    ascending,
    descending,
    match_all_query,
    next_cursor,
    search_body,
    window_query,
)
from intercom_assets.client.ratelimit import RateLimiter
from intercom_assets.client.scan import scan_page
from intercom_assets.client.stats import RequestStats
from intercom_assets.client.windows import (
    HeldPage,
    RecentIds,
    Split,
    Window,
    WindowFailed,
    conversation_items,
    disjoint,
    release_queued,
    split_window,
)

Conversation = dict[str, Any]
DELETED_PER_PAGE = 60
# How long a blocked worker waits before re-checking whether the consumer went away.
_POLL_SECONDS = 0.1
_DONE = object()


class IntercomClient:
    """Thread-safe Intercom API client. Use it as a context manager or call `close()`.

    `max_concurrency` is the ceiling on requests in flight (the controller picks how many
    below it); `max_payload_bytes` caps response bytes in flight and not yet consumed.
    `backoff_*` set the retry delays for 5xx/connection faults; tests shrink them to stay fast.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        api_version: str = "2.16",
        timeout: float = 30.0,
        max_requests_per_minute: int = 10_000,
        max_retries: int = 8,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        logger: logging.Logger | None = None,
        backoff_base_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
    ) -> None:
        _require(timeout > 0, f"timeout must be > 0 seconds, got {timeout}")
        _require(max_requests_per_minute >= 1, "max_requests_per_minute must be >= 1")
        _require(max_retries >= 0, f"max_retries must be >= 0, got {max_retries}")
        _require(max_concurrency >= 1, f"max_concurrency must be >= 1, got {max_concurrency}")
        _require(max_payload_bytes >= 1, "max_payload_bytes must be >= 1")
        self.max_concurrency = max_concurrency
        self.stats = RequestStats()
        self.limiter = RateLimiter(
            max_requests_per_minute, latency=lambda: self.controller.latency or 0.0
        )
        self.controller = ConcurrencyController(max_concurrency, self.limiter.rate)
        self.payloads = PayloadBudget(max_payload_bytes)
        self._http = Transport(
            base_url,
            token,
            api_version=api_version,
            timeout=timeout,
            limiter=self.limiter,
            controller=self.controller,
            payloads=self.payloads,
            stats=self.stats,
            max_retries=max_retries,
            logger=logger or logging.getLogger(__name__),
            backoff_base=backoff_base_seconds,
            backoff_max=backoff_max_seconds,
        )

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def api_version(self) -> str:
        return self._http.api_version

    def __repr__(self) -> str:
        return f"IntercomClient(base_url={self.base_url!r}, api_version={self.api_version!r})"

    def __enter__(self) -> IntercomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def me(self) -> dict[str, Any]:
        """The admin and app the token belongs to (needs no particular permission)."""
        return self._http.request("GET", "/me", endpoint="me")

    def search_pages(
        self, query: dict[str, Any], *, per_page: int = 150, sort: dict[str, str] | None = None
    ) -> Iterator[list[Conversation]]:
        """Every page of a search, following `pages.next.starting_after` to the last page."""
        for page, size, _ in self._held_pages(query, per_page=per_page, sort=sort):
            self._http.release_payload(size)
            yield page

    def _held_pages(
        self, query: dict[str, Any], *, per_page: int = 150, sort: dict[str, str] | None = None
    ) -> Iterator[tuple[list[Conversation], int, int | None]]:
        """`search_pages` with each body's size (held in the payload budget until released)
        and the `total_count` Intercom reports."""
        cursor: str | None = None
        while True:
            body = search_body(query, per_page=per_page, starting_after=cursor, sort=sort)
            payload, content = self._http.request_bytes(
                "POST", "/conversations/search", endpoint="search", body=body
            )
            size = len(content)
            del content
            try:
                page = conversation_items(payload, "POST /conversations/search")
            except IntercomError:
                self._http.release_payload(size)
                raise
            cursor = next_cursor(payload)
            total = payload.get("total_count")
            del payload
            yield page, size, total if isinstance(total, int) else None
            if cursor is None:
                return

    def search_window(
        self,
        field: str,
        start: int,
        end: int,
        *,
        extra_filters: list[dict[str, Any]] | None = None,
    ) -> Iterator[list[Conversation]]:
        """Conversations with `start <= field < end`, ascending by `field`, each id once."""
        recent = RecentIds()
        query = window_query(field, start, end, extra_filters)
        for page in self.search_pages(query, sort=ascending(field)):
            if fresh := recent.unseen(page):
                yield fresh

    def search_windows(
        self,
        field: str,
        windows: Sequence[tuple[int, int]],
        *,
        extra_filters: list[dict[str, Any]] | None = None,
        on_total: Callable[[int], None] | None = None,
        on_window_error: Callable[[tuple[int, int], IntercomError], None] | None = None,
    ) -> Iterator[list[Conversation]]:
        """`search_window` for many windows at once, as many in parallel as the concurrency
        controller allows. `on_total` gets each requested window's `total_count` as its first
        page arrives (progress lines; called from the search threads).

        Overlapping windows are clipped first, so each id is in one window (a field like
        `created_at` never changes) and is yielded once. A window whose first page shows
        pages to come is split: the rest of its range becomes sub-windows of about
        `windows.PIECE_PAGES` pages, searched in parallel, so a day of 10,000 conversations
        costs about 5 search latencies instead of 67 in a row (search pages can take
        seconds) and ~8 % more pages than one chain. Pages
        are yielded as they arrive, so pages of different windows interleave. Memory stays
        flat: a short queue, the payload budget, and per-window dedupe that remembers only
        the last pages of its cursor chain. The first error stops every window and is raised,
        unless `on_window_error` is given: then a window whose search fails for good (retries
        exhausted, a rejected request) is reported to it and the other windows go on; auth,
        permission and version errors are still raised.
        """
        for _, page in self.search_windows_tagged(
            field,
            windows,
            extra_filters=extra_filters,
            on_total=on_total,
            on_window_error=on_window_error,
        ):
            yield page

    def search_windows_tagged(
        self,
        field: str,
        windows: Sequence[tuple[int, int]],
        *,
        extra_filters: list[dict[str, Any]] | None = None,
        on_total: Callable[[int], None] | None = None,
        on_window_error: Callable[[tuple[int, int], IntercomError], None] | None = None,
        summaries: bool = False,
    ) -> Iterator[tuple[tuple[int, int], list[Conversation]]]:
        """`search_windows`, each page with the (sub-)window it came from; with `summaries`,
        its items are `scan.Summarized` (pass what must be written to `scan.full_payloads`)."""
        todo: deque[Window] = deque(Window(start, end) for start, end in disjoint(windows))
        if not todo:
            return
        requested = {id(window) for window in todo}  # not the sub-windows of a split
        pages: queue.Queue[object] = queue.Queue(maxsize=4)
        stop = threading.Event()  # the consumer went away or raised
        failed = threading.Event()  # a window failed: start no further windows

        def run(window: Window) -> None:
            if failed.is_set():
                return  # the failure is already queued; the consumer raises it
            try:
                recent = RecentIds(window.exclude)
                query = window_query(field, window.start, window.end, extra_filters)
                cursor: str | None = None
                first = True
                while True:
                    body = search_body(
                        query, per_page=150, starting_after=cursor, sort=ascending(field)
                    )
                    payload, content = self._http.request_bytes(
                        "POST",
                        "/conversations/search",
                        endpoint="search",
                        body=body,
                        decode=scan_page,
                    )
                    try:
                        page = conversation_items(payload, "POST /conversations/search")
                    except IntercomError:
                        self._http.release_payload(len(content))
                        raise
                    cursor, total = next_cursor(payload), payload.get("total_count")
                    total = total if isinstance(total, int) else None
                    if first and on_total is not None and id(window) in requested and total:
                        on_total(total)
                    parts = split_window(window, field, page, total) if first else []
                    first = False
                    # Held until the consumer takes it as bytes, not as the decoded tree.
                    span = (window.start, window.end)
                    held = HeldPage(span, content, recent.kept(page), page)
                    del payload, page
                    if not _put(pages, held, stop):
                        self._http.release_payload(held.size)
                        return
                    if parts:
                        _put(pages, Split(parts), stop)
                        break  # the sub-windows search the rest
                    if cursor is None:
                        break
            except (IntercomRequestError, IntercomUnavailableError) as exc:
                span = (window.start, window.end)
                if on_window_error is None:
                    failed.set()
                _put(pages, WindowFailed(span, exc) if on_window_error else exc, stop)
                return
            except Exception as exc:
                failed.set()
                _put(pages, exc, stop)
                return
            _put(pages, _DONE, stop)

        pool = ElasticPool(self.max_concurrency, "intercom-search")
        try:
            total, active = len(todo), 0
            while total:
                # Keep about as many windows going as requests may be in flight.
                while todo and active < self.controller.limit + 2:
                    pool.submit(run, todo.popleft())
                    active += 1
                try:
                    item = pages.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    continue
                if item is _DONE:
                    total, active = total - 1, active - 1
                elif isinstance(item, Split):
                    todo.extend(item.windows)
                    total += len(item.windows)
                elif isinstance(item, WindowFailed) and on_window_error is not None:
                    total, active = total - 1, active - 1
                    on_window_error(item.window, item.error)
                elif isinstance(item, Exception):
                    raise item
                else:
                    held = cast(HeldPage, item)
                    span = held.span
                    fresh = held.summarized() if summaries else held.decoded()
                    self._http.release_payload(held.size)
                    del item, held
                    if fresh:
                        yield span, fresh
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            release_queued(pages, self._http.release_payload)

    def get_conversation(self, conversation_id: str) -> Conversation | None:
        """The full conversation with its (newest 500) parts; None if it no longer exists."""
        payload, size = self._held_get(conversation_id)
        self._http.release_payload(size)
        return payload

    def _held_get(self, conversation_id: str) -> tuple[Conversation | None, int]:
        try:
            payload, content = self._http.request_bytes(
                "GET", _conversation_path(conversation_id), endpoint="get"
            )
        except IntercomNotFoundError:
            self.stats.count("not_found")
            return None, 0
        return payload, len(content)

    def get_conversations(
        self, ids: Iterable[str] | IdFeed, *, decode: bool = True
    ) -> Iterator[tuple[str, Any]]:
        """GET many conversations concurrently; yields (id, result) in completion order.

        About as many ids are in flight as the concurrency controller allows (a few more wait
        for a slot), and answered bodies count in the payload budget until yielded, so
        millions of ids cost constant memory at any latency. `ids` may be an `IdFeed` that
        grows while the GETs run (a search feeding them): it is waited on only when nothing
        is in flight. A per-id failure (retries exhausted, a rejected request) is yielded as
        the value so the caller can record it and go on; auth / permission / version errors
        are raised. Without `decode` each result is the body's bytes (see `request_bytes`).
        """
        source = id_source(ids)
        get = partial(self._held_body, check=decode)
        pending: dict[Future[Any], str] = {}
        exhausted = False

        def top_up() -> None:
            nonlocal exhausted
            room = self.controller.limit + 2 - len(pending)
            if exhausted or room < 1:
                return
            taken = source.take(room, wait=not pending)
            if taken is None:
                exhausted = True
            for cid in taken or ():
                pending[pool.submit(get, cid)] = cid

        with ElasticPool(self.max_concurrency, "intercom-get") as pool:
            try:
                top_up()
                while pending or not exhausted:
                    if pending:
                        done, _ = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
                    else:
                        done = set()
                    for future in done:
                        cid = pending.pop(future)
                        result, size = future.result()
                        if decode and isinstance(result, bytes):
                            result = codec.loads(result)  # checked by the worker
                        self._http.release_payload(size)
                        yield cid, result
                        del result
                    top_up()
            finally:
                for future in pending:
                    if not future.cancel():  # answered or answering: give its bytes back
                        future.add_done_callback(self._release_answer)

    def _release_answer(self, future: Future[Any]) -> None:
        if future.exception() is None:
            self._http.release_payload(future.result()[1])

    def _held_body(
        self, conversation_id: str, check: bool
    ) -> tuple[bytes | IntercomError | None, int]:
        """One GET of `get_conversations`: the body's bytes, held in the payload budget until
        the consumer takes (and decodes) them. With `check` the body is decoded once here,
        so that one which is not a JSON object is retried, and the tree is dropped: trees
        waiting for a busy consumer take ~3x their bytes (at 1 s latency, with ~220 GETs in
        flight, a payload budget full of them was the job's peak RSS)."""
        try:
            _, content = self._http.request_bytes(
                "GET",
                _conversation_path(conversation_id),
                endpoint="get",
                decode=codec.loads if check else None,
            )
        except IntercomNotFoundError:
            self.stats.count("not_found")
            return None, 0
        except (IntercomRequestError, IntercomUnavailableError) as exc:
            return exc, 0
        return content, len(content)

    def deleted_conversations(self, since: int | None = None) -> Iterator[dict[str, Any]]:
        """Deletion records (`id`, `deleted_at`) with `deleted_at >= since`, every page read.

        The spec says only "ascending or descending order", not by which field: if Intercom
        orders by id, an older deletion can sit on any page, so no page is skipped (records
        without a usable `deleted_at` are passed on for the caller to reject). API 2.16+ only:
        older versions raise IntercomVersionError.
        """
        for page in itertools.count(1):
            params = {"page": page, "per_page": DELETED_PER_PAGE, "order": "desc"}
            payload = self._http.request(
                "GET", "/conversations/deleted", endpoint="deleted", params=params
            )
            for item in conversation_items(payload, "GET /conversations/deleted"):
                deleted_at = item.get("deleted_at")
                if since is not None and isinstance(deleted_at, int) and deleted_at < since:
                    continue
                yield item
            pages = payload.get("pages")
            if not (isinstance(pages, dict) and pages.get("next")):
                return

    def admins(self) -> list[dict[str, Any]]:
        """Every admin of the workspace (`GET /admins`, one call; needs *Read admins*)."""
        return _list(self._http.request("GET", "/admins", endpoint="admins"), "admins", "/admins")

    def teams(self) -> list[dict[str, Any]]:
        """Every team (`GET /teams`, one call; needs *Read admins*)."""
        return _list(self._http.request("GET", "/teams", endpoint="teams"), "teams", "/teams")

    def tags(self) -> list[dict[str, Any]]:
        """Every tag (`GET /tags`, one call; needs *Read tags*)."""
        return _list(self._http.request("GET", "/tags", endpoint="tags"), "data", "/tags")

    def first_match(self, query: dict[str, Any], sort: dict[str, str]) -> Conversation | None:
        """The first conversation `query` finds in `sort` order (one search call)."""
        pages = self.search_pages(query, per_page=1, sort=sort)
        first = next(pages)
        pages.close()
        return first[0] if first else None

    def newest_updated_at(self) -> int | None:
        """`updated_at` of the most recently updated conversation (one search call)."""
        newest = self.first_match(match_all_query(), descending("updated_at"))
        return int(newest["updated_at"]) if newest else None


def _conversation_path(conversation_id: str) -> str:
    return f"/conversations/{quote(str(conversation_id), safe='')}"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _list(payload: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    """The objects of a one-page list response (admin.list, team.list, tag list)."""
    items = payload.get(key)
    if not isinstance(items, list):
        raise IntercomUnavailableError(
            f"Intercom answered GET {path} without a `{key}` list; the next run retries."
        )
    return [item for item in items if isinstance(item, dict)]


def _put(target: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    """Put `item`, giving up (False) once `stop` is set so workers never block forever."""
    while not stop.is_set():
        try:
            target.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False
