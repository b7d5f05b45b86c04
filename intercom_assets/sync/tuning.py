"""Process tuning for bulk JSON: the sync's largest avoidable CPU and memory costs."""

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


@cache
def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas, as MALLOC_ARENA_MAX does; False where that is not glibc.

    glibc gives threads that allocate concurrently their own arenas (up to 8 per core), and
    memory freed in one arena is not reused by the others: with 16 GET threads each decoding
    bodies, that kept more RSS in `benchmarks/bound.py` (messages step of 20,000 conversations:
    441 -> 420 MiB peak with 2 arenas, at the same speed).
    """
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    mallopt = getattr(ctypes.CDLL(libc_name), "mallopt", None)
    return bool(mallopt and mallopt(_M_ARENA_MAX, arenas))


@contextmanager
def tuned_for_bulk_json(gc_threshold: int = 10_000) -> Iterator[None]:
    """Run the young-generation collector every `gc_threshold` allocations instead of 700.

    Decoded payloads are acyclic trees, freed by reference counting as soon as a batch is
    written, but each one allocates hundreds of containers: at the default threshold the
    collector runs every few payloads and re-traverses every batch still held, which took
    40% of the CPU in `benchmarks/overhead.py` (1,423 -> 2,269 conv/s at 30,000). Cycles are
    still collected, just less often; the previous thresholds are restored on exit. Malloc
    arenas are capped too (once per process: arenas are never given back).
    """
    limit_malloc_arenas()
    previous = gc.get_threshold()
    gc.set_threshold(gc_threshold, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
