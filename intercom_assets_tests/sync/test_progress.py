"""Progress you can watch: done/total with rate and ETA in both steps, and a closing line."""

import logging
import re

from intercom_assets.sync.progress import Progress
from intercom_assets_tests.support import make_client, sync


def test_search_windows_report_each_requested_window_total(emulator) -> None:
    totals: list[int] = []
    day = 86_400
    first = min(emulator.snapshot(i)["created_at"] for i in emulator.conversation_ids())
    start = first - first % day
    with make_client(emulator) as client:
        pages = client.search_windows(
            "created_at",
            [(start + d * day, start + (d + 1) * day) for d in range(3)],
            on_total=totals.append,
        )
        found = sum(len(page) for page in pages)
    assert sorted(totals) == [8, 8, 8] and found == 24


def test_progress_lines_have_done_total_rate_and_eta() -> None:
    log = logging.getLogger("progress-test")
    progress = Progress(log, "conversations searched", None, every_seconds=0)
    progress.add_total(100)
    progress.add_total(50)
    progress.advance(30)
    assert re.fullmatch(r"conversations searched: 30/150 \(\d+\.\d/s, ETA \d+s\)", progress.line())
    assert re.fullmatch(
        r"conversations searched: done, 30 seen in \d+\.\ds \(\d+\.\d/s\)",
        progress.summary("30 seen"),
    )


def test_each_step_ends_with_its_summary_line(sync_resources, _isolated_instance) -> None:
    result = sync(sync_resources, instance=_isolated_instance)
    lines = [e.user_message for e in _isolated_instance.all_logs(result.run_id)]
    assert any(
        re.fullmatch(
            r"conversations searched: done, 24 seen \(24 new, 0 changed, 0 unchanged, "
            r"0 deleted\) in \d+\.\ds \(\d+\.\d/s\)",
            line,
        )
        for line in lines
    ), lines
    assert any(
        re.fullmatch(
            r"conversations retrieved: done, 24 of 24 stale conversations synced, \d+ messages "
            r"written, 0 gone, 0 skipped in \d+\.\ds \(\d+\.\d/s\)",
            line,
        )
        for line in lines
    ), lines
