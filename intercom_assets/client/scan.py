"""Search pages decoded and digested in a child process, so a no-op re-run stays off the GIL.

A re-run decodes every search page and digests every conversation only to learn that almost
nothing changed. In one process that was most of the GIL (decoding ~20 %, digests ~20 %,
freeing the trees ~10 % in `py-spy --gil` samples of `benchmarks/noop.py`) and kept the
re-run ~1.5x off its rate-limit bound. A child process decodes each page and answers with
its *summary*: the page with each conversation cut to what the client and the engine decide
on (`id`, `created_at`, `updated_at`) plus its digest. The parent keeps the page's bytes and
decodes only the conversations that turn out to need writing (`full_payloads`).

The child runs this file as a script, loading `codec.py` on its own: it never imports the
package, whose `__init__` imports Dagster. If it cannot start or dies, pages are summarized
in-process instead: slower, never wrong.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

if __name__ == "__main__":  # the child (`python -I`: this directory is not on its path)
    _spec = importlib.util.spec_from_file_location("codec", Path(__file__).with_name("codec.py"))
    assert _spec is not None and _spec.loader is not None
    codec = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(codec)
else:
    from intercom_assets.client import codec

log = logging.getLogger(__name__)

KEPT_FIELDS = ("id", "created_at", "updated_at")
DIGEST = "__digest"  # the key of a summarized conversation's digest
_PARTS = "conversation_parts"


def without_parts(conversation: dict[str, Any]) -> dict[str, Any]:
    """What a conversation's `raw` keeps: the object without its parts."""
    if _PARTS not in conversation:  # search results: no copy needed
        return conversation
    return {k: v for k, v in conversation.items() if k != _PARTS}


def payload_digest(conversation: dict[str, Any]) -> str:
    """The digest of what `raw` keeps, whatever its key order."""
    return codec.digest(without_parts(conversation))


def summarize(content: bytes) -> Any:
    """`content` decoded, each object of its `conversations` list cut to `KEPT_FIELDS` and
    its digest; raises ValueError when it is not JSON."""
    payload = codec.loads(content)
    items = payload.get("conversations") if isinstance(payload, dict) else None
    if isinstance(items, list):
        payload["conversations"] = [_summary(item) for item in items]
    return payload


def _summary(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    kept = {key: item[key] for key in KEPT_FIELDS if key in item}
    kept[DIGEST] = payload_digest(item)
    return kept


class Summarized(dict):
    """A searched conversation as its summary (`KEPT_FIELDS`), with its digest and the page
    whose bytes hold the full payload."""

    __slots__ = ("_content", "_position", "digest")

    def __init__(self, summary: dict[str, Any], content: bytes, position: int) -> None:
        self.digest: str = summary.pop(DIGEST)
        super().__init__(summary)
        self._content, self._position = content, position


def summarized(page: list[dict[str, Any]], content: bytes) -> list[Summarized]:
    """The summaries of one page (its objects, in order) bound to the page's bytes."""
    return [Summarized(item, content, position) for position, item in enumerate(page)]


def full_payloads(conversations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`conversations` with every summary replaced by its full payload, each page decoded
    once; order kept."""
    pages: dict[int, list[dict[str, Any]]] = {}
    result = []
    for item in conversations:
        if isinstance(item, Summarized):
            content = item._content
            if id(content) not in pages:
                decoded = codec.loads(content)["conversations"]
                pages[id(content)] = [value for value in decoded if isinstance(value, dict)]
            item = pages[id(content)][item._position]
        result.append(item)
    return result


class PageScanner:
    """`summarize` in one child process, one page at a time, falling back to this process
    when the child fails."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._owner = 0  # pid that started the child: a forked copy must start its own
        self._broken = False

    def __call__(self, content: bytes) -> Any:
        if not self._broken:
            with self._lock:
                try:
                    outcome = self._ask(content)
                except (OSError, EOFError, pickle.UnpicklingError) as error:
                    log.warning("Page scanner process failed (%s); summarizing in-process", error)
                    self._broken = True
                    self._stop()
                else:
                    decoded, payload = outcome
                    if not decoded:
                        raise ValueError(payload)
                    return payload
        return summarize(content)

    def _ask(self, content: bytes) -> Any:
        child = self._running()
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(len(content).to_bytes(8, "little"))
        child.stdin.write(content)
        child.stdin.flush()
        return pickle.loads(_read(child.stdout))

    def _running(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._owner != os.getpid():
            self._child = subprocess.Popen(
                [sys.executable, "-I", __file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
            )
            self._owner = os.getpid()
        return self._child

    def _stop(self) -> None:
        if self._child is not None and self._owner == os.getpid():
            self._child.kill()
            self._child.wait()
        self._child = None


def _read(stream: IO[bytes]) -> bytes:
    """One frame: an 8-byte little-endian length, then that many bytes."""
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the page scanner closed its pipe")
    size = int.from_bytes(header, "little")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the page scanner closed its pipe mid-answer")
    return data


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: until the parent closes the pipe, answer each page with (True, its
    summary) or (False, why it is not JSON)."""
    while True:
        try:
            content = _read(requests)
        except EOFError:
            return
        try:
            outcome: tuple[bool, Any] = (True, summarize(content))
        except ValueError as error:
            outcome = (False, str(error) or "not valid JSON")
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(len(data).to_bytes(8, "little"))
        answers.write(data)
        answers.flush()


class ScannerPool:
    """Pages go to a free one of `size` scanners, each child started when first needed.

    One child, one page at a time, capped a no-op re-run at one page per ~10 ms on a busy
    2-core machine (100,000 conversations: 713 pages in 7.8 s against a 4.3 s bound; 10^6:
    9,711 in 102 s), with the search threads queued on its lock. The most recently freed
    scanner is taken first, so pages one at a time keep using one warm child.
    """

    def __init__(self, size: int = 2) -> None:
        self.scanners = [PageScanner() for _ in range(size)]
        self._free: queue.LifoQueue[PageScanner] = queue.LifoQueue()
        for scanner in reversed(self.scanners):
            self._free.put(scanner)

    def __call__(self, content: bytes) -> Any:
        scanner = self._free.get()
        try:
            return scanner(content)
        finally:
            self._free.put(scanner)


scan_page = ScannerPool()

if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
