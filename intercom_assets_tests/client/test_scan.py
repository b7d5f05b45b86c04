"""Search pages summarized in a child process: the same decisions, the same payloads."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from intercom_assets.client import IntercomClient, codec
from intercom_assets.client.scan import (
    PageScanner,
    ScannerPool,
    Summarized,
    full_payloads,
    payload_digest,
    summarize,
)
from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import FIXED_NOW, Api, everything

DAY = 86_400


def search_body(emulator: Emulator) -> bytes:
    response = Api(emulator, emulator.token).search(everything(), per_page=150)
    response.raise_for_status()
    return response.content


def test_a_summary_keeps_the_page_and_cuts_each_conversation_to_id_times_and_digest(
    emulator: Emulator,
) -> None:
    content = search_body(emulator)
    page = codec.loads(content)

    summary = PageScanner()(content)

    assert {k: v for k, v in summary.items() if k != "conversations"} == {
        k: v for k, v in page.items() if k != "conversations"
    }
    assert summary["conversations"] == [
        {
            "id": c["id"],
            "created_at": c["created_at"],
            "updated_at": c["updated_at"],
            "__digest": payload_digest(c),
        }
        for c in page["conversations"]
    ]
    assert len(summary["conversations"]) == 24


def test_the_digest_ignores_parts_and_key_order() -> None:
    bare = {"id": "7", "updated_at": 5, "tags": {"tags": []}}
    with_parts = {"conversation_parts": {"total_count": 1}, "tags": {"tags": []}, "updated_at": 5}
    with_parts["id"] = "7"

    assert payload_digest(with_parts) == payload_digest(bare)
    assert payload_digest(bare) != payload_digest({**bare, "updated_at": 6})


def test_summaries_without_the_fields_keep_only_what_the_object_has() -> None:
    content = b'{"conversations": [{"id": 3, "x": 1}, "junk", {"updated_at": "soon"}]}'

    conversations = summarize(content)["conversations"]

    assert conversations[0] == {"id": 3, "__digest": codec.digest({"id": 3, "x": 1})}
    assert conversations[1] == "junk"
    assert conversations[2] == {
        "updated_at": "soon",
        "__digest": codec.digest({"updated_at": "soon"}),
    }


def test_full_payloads_decode_each_summarized_page_in_order_and_pass_the_rest_through() -> None:
    first = b'{"conversations": [{"id": "1", "a": 1}, 7, {"id": "2", "a": 2}]}'
    second = b'{"conversations": [{"id": "3", "a": 3}]}'
    summaries = {
        content: [
            Summarized(item, content, position)
            for position, item in enumerate(
                c for c in summarize(content)["conversations"] if isinstance(c, dict)
            )
        ]
        for content in (first, second)
    }
    s1, s2 = summaries[first]
    (s3,) = summaries[second]
    plain = {"id": "9", "a": 9}

    assert full_payloads([s3, plain, s2, s1]) == [
        {"id": "3", "a": 3},
        plain,
        {"id": "2", "a": 2},
        {"id": "1", "a": 1},
    ]
    assert (s1.digest, dict(s1)) == (codec.digest({"id": "1", "a": 1}), {"id": "1"})


def test_a_body_that_is_not_json_raises_value_error_with_the_decoders_reason() -> None:
    with pytest.raises(ValueError, match="line 1 column 2"):
        PageScanner()(b"{not json")


def test_the_child_stays_light_and_a_dead_child_falls_back_to_this_process(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    content = search_body(emulator)
    scanner = PageScanner()
    expected = scanner(content)
    child = scanner._child
    assert child is not None
    status = Path(f"/proc/{child.pid}/status").read_text()
    rss_kib = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
    assert rss_kib < 60 * 1024  # Dagster alone is > 100 MiB: the child never imported it

    child.kill()
    child.wait()
    with caplog.at_level(logging.WARNING):
        assert scanner(content) == expected
        assert scanner(content) == expected

    assert [r.getMessage() for r in caplog.records if "scanner" in r.getMessage()] == [
        caplog.records[0].getMessage()
    ]
    assert "summarizing in-process" in caplog.records[0].getMessage()


def test_pages_at_once_go_to_a_second_child_and_pages_one_at_a_time_to_one(
    emulator: Emulator,
) -> None:
    """One child answering one page at a time was a no-op re-run's bottleneck (~10 ms a page
    on a busy machine, the search threads queued on its lock)."""
    content = search_body(emulator)
    expected = summarize(content)
    pool = ScannerPool(2)
    try:
        assert [pool(content), pool(content)] == [expected, expected]
        assert [scanner._child is not None for scanner in pool.scanners] == [True, False]

        barrier = threading.Barrier(8)

        def scan() -> list[object]:
            barrier.wait()
            return [pool(content) for _ in range(5)]

        with ThreadPoolExecutor(8) as threads:
            answers = [
                answer for batch in threads.map(lambda _: scan(), range(8)) for answer in batch
            ]
        assert answers == [expected] * 40
        assert [scanner._child is not None for scanner in pool.scanners] == [True, True]
    finally:
        for scanner in pool.scanners:
            scanner._stop()


def test_the_engine_sees_summaries_and_writes_from_full_payloads(
    emulator: Emulator, client: IntercomClient
) -> None:
    start = FIXED_NOW - 30 * DAY
    placed = emulator.create_conversation(created_at=start)
    pages = list(client.search_windows_tagged("created_at", [(start, start + DAY)], summaries=True))

    (((_, _), (found,)),) = pages
    assert isinstance(found, Summarized)
    assert found["id"] == placed
    (payload,) = full_payloads([found])
    assert payload == emulator_payload(client, placed)
    assert found.digest == payload_digest(payload)


def emulator_payload(client: IntercomClient, cid: str) -> dict:
    (page,) = list(client.search_window("created_at", 0, 2**31))
    return next(c for c in page if c["id"] == cid)
