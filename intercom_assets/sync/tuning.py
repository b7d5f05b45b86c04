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


# Young-generation threshold, and how many young (middle) collections run per middle (full)
# one: `benchmarks/noop.py`'s 10^5 re-run spent 2.4 s of CPU in the collector at
# (10_000, 10, 10) and 0.3 s at these, and its final collection found ~60 cyclic objects.
GC_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def tuned_for_bulk_json(gc_threshold: int = GC_THRESHOLDS[0]) -> Iterator[None]:
    """Run the collector rarely, and never over what existed before the sync, while it runs.

    Decoded payloads are acyclic trees, freed by reference counting as soon as a batch is
    written, but each one allocates hundreds of containers: at the default thresholds the
    collector runs every few payloads and re-traverses every batch still held, which took
    40% of the CPU in `benchmarks/overhead.py` (1,423 -> 2,269 conv/s at 30,000). Everything
    allocated before the sync (Dagster, the definitions, imports: ~135,000 objects) is frozen
    out of the collector meanwhile, so an older-generation pass does not walk it again.
    Cycles are still collected, just less often; thresholds and the frozen objects are
    restored on exit (an enclosing tuned sync keeps its own freeze). Malloc arenas are capped
    too (once per process: arenas are never given back).
    """
    limit_malloc_arenas()
    previous = gc.get_threshold()
    gc.set_threshold(gc_threshold, *GC_THRESHOLDS[1:])
    freezes = gc.get_freeze_count() == 0
    if freezes:
        gc.freeze()
    try:
        yield
    finally:
        if freezes:
            gc.unfreeze()
        gc.set_threshold(*previous)
