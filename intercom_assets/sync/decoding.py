"""GET bodies decoded and transformed in a second process, beside the DuckDB writer.

At full speed (no API latency: `benchmarks/overhead.py`) one process is bound by its GIL:
decoding a body, walking its parts and encoding each `raw` hold it, and the writer's every
call into DuckDB or polars waits for it. Here the fetching thread only collects the bodies'
bytes; a helper process turns each chunk of them into a `Chunk` (the same `prepare` as in
process), so the messages step uses both cores. A chunk closes at `CHUNK` conversations, at
a batch's bytes or where the batch's conversation count closes, and the batch closes once the
chunks it received reach a limit (parts and body bytes are known only once decoded).

The helper costs a process start (~1 s) and its own memory, so only large runs use it
(`PROCESS_MIN_CONVERSATIONS`). A body that is not a JSON object is fetched again the usual
way (the client retries such bodies), so nothing changes for the rest of the sync.
"""

import itertools
import multiprocessing
import os
import pickle
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from intercom_assets.client import codec
from intercom_assets.sync.batches import CHUNK, Batch, Chunk, FetchLimits, prepare, weigh
from intercom_assets.sync.privacy import Privacy

# Below this many stale conversations the process start is not worth it.
PROCESS_MIN_CONVERSATIONS = 5_000
_POLARS_THREADS = "POLARS_MAX_THREADS"
# Chunks decoding at once: one in the helper, one queued, so it never waits for the next.
CHUNKS_AHEAD = 2


@dataclass(frozen=True)
class Decoded:
    """A chunk of bodies, decoded and prepared in the helper process."""

    chunk: Chunk
    parts: int
    bytes: int
    invalid: list[int]  # positions of bodies that are not a JSON object


def decode_chunk(bodies: list[bytes], synced_at: datetime, privacy: Privacy) -> Decoded:
    """In the helper: decode the bodies and prepare the usable ones, as `Batch.add` would."""
    payloads, invalid = [], []
    for position, body in enumerate(bodies):
        try:
            payload = codec.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            payloads.append(payload)
        else:
            invalid.append(position)
    weights = [weigh(payload) for payload in payloads]
    return Decoded(
        prepare(payloads, synced_at, privacy),
        sum(parts for parts, _ in weights),
        sum(size for _, size in weights),
        invalid,
    )


def decode_file(source: str, target: str, synced_at: datetime, privacy: Privacy) -> None:
    """`decode_chunk`, its bodies read from and its result written to files (see `Helper`)."""
    bodies = pickle.loads(Path(source).read_bytes())
    os.unlink(source)
    decoded = decode_chunk(bodies, synced_at, privacy)
    Path(target).write_bytes(pickle.dumps(decoded, protocol=pickle.HIGHEST_PROTOCOL))


def _start() -> None:
    """The helper's first task: its imports, done while the first chunk fills."""


@dataclass
class _Pending:
    """A chunk submitted to the helper, with what was fetched beside it."""

    ids: list[str]
    gone: list[str]
    target: Path | None = None
    future: Future[None] | None = None


@dataclass
class _Filling:
    ids: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    bytes: int = 0

    @property
    def size(self) -> int:
        return len(self.ids) + len(self.gone)


class Decoder:
    """Feeds retrieved bodies to the helper and hands back finished batches, in order."""

    def __init__(
        self,
        helper: "Helper",
        limits: FetchLimits,
        refetch: Callable[[str, Batch], None],
    ) -> None:
        self._helper, self._limits, self._refetch = helper, limits, refetch
        self._chunks = itertools.count()
        self._privacy = Privacy.from_env()  # the run's environment, as `prepare` reads it
        self._filling = _Filling()
        self._pending: deque[_Pending] = deque()
        self._batch = Batch()
        self._planned = 0  # conversations and 404s given to the open batch, decoded or not

    def add(self, conversation_id: str, body: bytes | None) -> Iterator[Batch]:
        """A retrieved body (None: the conversation is gone); yields the batches it closes."""
        filling = self._filling
        if body is None:
            filling.gone.append(conversation_id)
        else:
            filling.ids.append(conversation_id)
            filling.bodies.append(body)
            filling.bytes += len(body)
        room = self._limits.conversations - self._planned
        if filling.size >= min(CHUNK, room) or filling.bytes >= self._limits.bytes:
            yield from self._submit()

    def finish(self) -> Iterator[Batch]:
        """Every batch still open, once the last body was added."""
        if self._filling.size:
            yield from self._submit()
        while self._pending:
            yield from self._receive()
        if self._batch.size:
            yield self._batch

    def _submit(self) -> Iterator[Batch]:
        filling, self._filling = self._filling, _Filling()
        pending = _Pending(filling.ids, filling.gone)
        if filling.bodies:
            number = next(self._chunks)
            source = self._helper.spool / f"{number}.bodies"
            pending.target = self._helper.spool / f"{number}.decoded"
            source.write_bytes(pickle.dumps(filling.bodies, protocol=pickle.HIGHEST_PROTOCOL))
            pending.future = self._helper.pool.submit(
                decode_file, str(source), str(pending.target), self._batch.synced_at, self._privacy
            )
        self._pending.append(pending)
        self._planned += filling.size
        if self._planned >= self._limits.conversations:
            self._planned = 0
        while len(self._pending) > CHUNKS_AHEAD:
            yield from self._receive()

    def _receive(self) -> Iterator[Batch]:
        pending = self._pending.popleft()
        batch = self._batch
        batch.gone.extend(pending.gone)
        if pending.future is not None and pending.target is not None:
            pending.future.result()
            decoded: Decoded = pickle.loads(pending.target.read_bytes())
            pending.target.unlink()
            for position in decoded.invalid:
                self._refetch(pending.ids[position], batch)
            batch.add_chunk(decoded.chunk, decoded.parts, decoded.bytes)
        if batch.full(self._limits):
            yield batch
            self._batch = Batch()


@dataclass(frozen=True)
class Helper:
    """The helper process and the folder its chunks go through.

    Chunks travel as files (in memory, on /dev/shm where there is one), not through the
    executor's pipe: a pipe moves 64 KiB per read, and each read here waits for the GIL
    (up to 5 ms while the writer and the fetching thread run), which made the helper
    wait on this process for most of a 1.5 MB chunk.
    """

    pool: ProcessPoolExecutor
    spool: Path


@contextmanager
def helper_pool() -> Iterator[Helper]:
    """One helper process (spawned: forking a process with DuckDB and polars threads is not
    safe), started at once so that its imports overlap the first GETs.

    Its polars runs on one thread: a chunk's frames are small, and handing each operation to
    a thread pool that competes with this process for the two cores costs more than it does.
    """
    shm = Path("/dev/shm")
    root = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    with (
        tempfile.TemporaryDirectory(prefix="intercom-decode-", dir=root) as spool,
        ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool,
    ):
        previous = os.environ.get(_POLARS_THREADS)
        os.environ[_POLARS_THREADS] = "1"  # the child is spawned with this environment
        try:
            pool.submit(_start)
        finally:
            if previous is None:
                os.environ.pop(_POLARS_THREADS, None)
            else:
                os.environ[_POLARS_THREADS] = previous
        yield Helper(pool, Path(spool))
