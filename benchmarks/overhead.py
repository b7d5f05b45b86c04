"""Overhead mode: our own cost per conversation and message, with no HTTP at all.

`sync_conversations` and `sync_messages` (the functions the assets call, with their batch
sizes) run against a client that replays recorded emulator payloads instead of calling the
API. So the time measured is JSON decoding (the real client decodes every body too),
transforms, DuckDB writes and the sync's own bookkeeping. If this is well above the API's
~166 conversations/s, the API stays the bottleneck.

Payloads: `--templates` distinct conversations are rendered once by the emulator's data
generator (2.16 shape, as GET /conversations/{id} returns them) and replayed under unique ids.

    python -m benchmarks.overhead                     # 100,000 conversations, ~1M messages
    python -m benchmarks.overhead --conversations 10000
"""

import argparse
import json
import logging
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

if not __package__:  # `python benchmarks/overhead.py`: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (
    SEARCH_PER_PAGE,
    ChildrenRss,
    Machine,
    SystemLoad,
    own_usage,
    print_table,
)
from intercom_assets.client import codec
from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets.storage import prepare_database, reader
from intercom_assets.sync.engine import SyncWindow, sync_conversations
from intercom_assets.sync.messages import sync_messages

FIRST_ID = 900_000_000  # replayed ids: FIRST_ID + i, never an emulator id
# Where a recorded body sits in the recording: (offset, bytes before the id, bytes after).
Span = tuple[int, int, int]


def record_templates(
    path: Path, templates: int, mean_parts: float, seed: int, body_scale: int = 1
) -> tuple[list[Span], list[Span], int]:
    """Search items and full conversations, encoded as the emulator sends them, written to
    `path` (see `Recording`); their spans there and the days of history.

    `body_scale` repeats every part's body that many times (the "10x larger bodies" mix).
    """
    days = max(1, templates // 200)
    config = EmulatorConfig(
        seed=seed,
        days=days,
        conversations_per_day=-(-templates // days),
        mean_parts=mean_parts,
        large_conversations=0,  # snapshot() is uncapped; keep every template <= 500 parts
    )
    emulator = Emulator(config)  # never started: only its data generator is used
    items, conversations = [], []
    try:
        with path.open("wb") as out:
            for cid in emulator.conversation_ids()[:templates]:
                conversation = emulator.snapshot(cid)
                for part in conversation["conversation_parts"]["conversation_parts"]:
                    if isinstance(part.get("body"), str):
                        part["body"] *= body_scale
                conversations.append(_write_split(out, conversation))
                del conversation["conversation_parts"]  # a search result has no parts
                items.append(_write_split(out, conversation))
    finally:
        emulator.stop()
    return items, conversations, days


def _write_split(out: BinaryIO, payload: dict[str, Any]) -> Span:
    """Append `payload`'s encoding around its conversation id's digits (left out)."""
    payload = {**payload, "id": "\0"}
    head, tail = _encode(payload).split(b'"\\u0000"')
    head, tail = head + b'"', b'"' + tail
    offset = out.tell()
    out.write(head + tail)
    return offset, len(head), len(tail)


class Recording:
    """The recorded bodies, read from their file for each request.

    Held in this process they were the harness's memory inside the measured peak RSS (2,000
    templates at 10x bodies: 89 MiB, twice what the sync itself holds). Read per request,
    each body is a fresh `bytes` the sync holds as long as it would hold a received one,
    and the recording itself stays in the page cache, outside the process.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)

    def body(self, span: Span, conversation_id: str) -> bytes:
        """The recorded body with `conversation_id` as its id."""
        offset, head, tail = span
        raw = memoryview(os.pread(self._fd, head + tail, offset))
        return b"".join((raw[:head], conversation_id.encode(), raw[head:]))

    def close(self) -> None:
        os.close(self._fd)


def _children_cpu() -> float:
    """CPU seconds of the children waited for (the helper process, once the step is done)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()  # UTF-8, like the API


class RecordedClient:
    """Stands in for IntercomClient in the sync functions: same calls, recorded answers."""

    def __init__(
        self, recording: Recording, items: list[Span], conversations: list[Span], count: int
    ) -> None:
        self._recording = recording
        self._items, self._conversations = items, conversations
        self._count = count
        self.decode_seconds = 0.0

    def _body(self, spans: list[Span], index: int) -> bytes:
        return self._recording.body(spans[index % len(spans)], str(FIRST_ID + index))

    def _decode(self, spans: list[Span], index: int) -> dict[str, Any]:
        body = self._body(spans, index)
        started = time.perf_counter()
        payload = codec.loads(body)
        self.decode_seconds += time.perf_counter() - started
        return payload

    def search_windows(
        self, field: str, windows: Sequence[tuple[int, int]], **_: Any
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of 150 search items, every conversation once."""
        for start in range(0, self._count, SEARCH_PER_PAGE):
            stop = min(start + SEARCH_PER_PAGE, self._count)
            yield [self._decode(self._items, index) for index in range(start, stop)]

    def search_windows_tagged(
        self, field: str, windows: Sequence[tuple[int, int]], **_: Any
    ) -> Iterator[tuple[tuple[int, int], list[dict[str, Any]]]]:
        """`search_windows`, each page tagged with the whole history as its window."""
        whole = (windows[0][0], windows[-1][1])
        for page in self.search_windows(field, windows):
            yield whole, page

    def get_conversations(
        self, ids: Iterable[str], *, decode: bool = True
    ) -> Iterator[tuple[str, dict[str, Any] | bytes]]:
        """Decoded here, or (`decode=False`) the body's bytes under the replayed id."""
        for cid in ids:
            index = int(cid) - FIRST_ID
            if decode:
                yield cid, self._decode(self._conversations, index)
            else:
                yield cid, self._body(self._conversations, index)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--templates", type=int, default=2_000)
    parser.add_argument("--mean-parts", type=float, default=10.3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", type=Path, default=None, help="default: a temp file")
    parser.add_argument("--body-scale", type=int, default=1, help="10: 10x larger bodies")
    parser.add_argument("--summary-json", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    log = logging.getLogger("benchmarks.overhead")
    machine = Machine.probe()
    with tempfile.TemporaryDirectory(prefix="intercom-overhead-") as scratch:
        # Recorded in a child process: the emulator's data generator is the harness's memory,
        # not the sync's, and would otherwise stay in this process's peak RSS.
        path = Path(scratch) / "recording.bin"
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as recorder:
            recorded = recorder.submit(
                record_templates, path, args.templates, args.mean_parts, args.seed, args.body_scale
            )
            items, conversations, days = recorded.result()
        recording = Recording(path)
        client = RecordedClient(recording, items, conversations, args.conversations)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        window = SyncWindow(today - timedelta(days=days - 1), today + timedelta(days=1))
        database = str(args.database or Path(scratch) / "intercom.duckdb")
        load = SystemLoad(lambda: own_usage()[0] + _children_cpu())
        helper = ChildrenRss()
        started = time.perf_counter()
        prepare_database(database, log)
        searched = sync_conversations(client, database, window, log)  # type: ignore[arg-type]
        after_conversations = time.perf_counter()
        synced = sync_messages(client, database, window.start, window.end, log)  # type: ignore[arg-type]
        finished = time.perf_counter()
        load_line = load.line()
        helper_mib = helper.stop()
        recording.close()
        with reader(database, log) as conn:
            stored = conn.execute("SELECT count(*) FROM intercom.messages").fetchone()[0]
        size_mib = Path(database).stat().st_size / 1024**2
    total = finished - started
    messages = synced.messages_written
    conversations_phase = after_conversations - started
    messages_phase = finished - after_conversations
    rows = [
        (
            "conversations / messages written",
            f"{searched.seen:,} / {messages:,} ({stored:,} stored)",
        ),
        ("**conversations/s**, whole sync", f"**{args.conversations / total:,.0f}**"),
        ("**messages/s**, whole sync", f"**{messages / total:,.0f}**"),
        ("wall time", f"{total:.1f} s"),
        (
            "conversations step (search pages → upsert)",
            f"{conversations_phase:.1f} s ({args.conversations / conversations_phase:,.0f} conv/s)",
        ),
        (
            "messages step (GET payloads → messages)",
            f"{messages_phase:.1f} s ({args.conversations / messages_phase:,.0f} conv/s, "
            f"{messages / messages_phase:,.0f} msg/s)",
        ),
        ("of which JSON decoding in this process", f"{client.decode_seconds:.1f} s"),
        ("unusable records", str(len(searched.rejected) + len(synced.rejected))),
        ("DuckDB file size", f"{size_mib:,.0f} MiB"),
        ("**peak RSS**", f"**{own_usage()[1]:,.0f} MiB**"),
        ("peak RSS of the helper process (decoding GET bodies)", f"{helper_mib:,.0f} MiB"),
    ]
    print_table(
        f"Overhead mode: {args.conversations:,} conversations from {args.templates:,} recorded "
        "payloads, no HTTP",
        rows,
    )
    print(f"\nMachine: {machine.line()}\nLoad: {load_line}")
    if args.summary_json:
        summary = {
            "conversations": args.conversations,
            "messages": messages,
            "seconds": total,
            "peak_rss_mib": own_usage()[1],
            "helper_rss_mib": helper_mib,
            "file_mib": size_mib,
            "load": load_line,
        }
        args.summary_json.write_text(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
