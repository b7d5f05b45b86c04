"""The background writer applies batches in order, reports idleness, and surfaces failures."""

import threading

import pytest

from intercom_assets.sync.writer import BackgroundWriter


def test_batches_are_written_in_order_and_idleness_is_reported_when_the_queue_runs_dry():
    events: list[str] = []
    gate = threading.Event()

    def write(batch: str) -> None:
        gate.wait(5)
        events.append(batch)

    with BackgroundWriter(write, on_idle=lambda: events.append("idle")) as writer:
        for batch in ("a", "b", "c"):
            writer.submit(batch)
        gate.set()
    # a, b and c were queued back to back: idle only after the last one (and at exit).
    assert events[:3] == ["a", "b", "c"]
    assert events[3:] in (["idle"], ["idle", "idle"])


def test_a_failed_write_stops_the_producer_and_later_batches_are_not_written():
    written: list[int] = []

    def write(batch: int) -> None:
        if batch == 2:
            raise OSError("disk full")
        written.append(batch)

    with pytest.raises(OSError, match="disk full"), BackgroundWriter(write) as writer:
        for batch in range(1, 50):
            writer.submit(batch)
    assert written == [1]
