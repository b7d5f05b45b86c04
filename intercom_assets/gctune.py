"""Cyclic garbage collection tuned for bulk JSON: the sync's largest avoidable CPU cost."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fewer_collections(threshold: int = 10_000) -> Iterator[None]:
    """Run the young-generation collector every `threshold` allocations instead of 700.

    Decoded payloads are acyclic trees, freed by reference counting as soon as a batch is
    written, but each one allocates hundreds of containers: at the default threshold the
    collector runs every few payloads and re-traverses every batch still held, which took
    40% of the CPU in `benchmarks/overhead.py` (1,423 -> 2,269 conv/s at 30,000). Cycles are
    still collected, just less often. Restores the previous thresholds on exit.
    """
    previous = gc.get_threshold()
    gc.set_threshold(threshold, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
