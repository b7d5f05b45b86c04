"""GETs fed by an IdFeed: answers are yielded while the feed waits for more ids."""

import threading

import pytest

from intercom_assets.client.feed import FeedAbandoned, IdFeed


def test_answers_are_yielded_before_the_feed_is_closed(emulator, client):
    ids = sorted(emulator.conversation_ids())
    feed = IdFeed(100)
    feed.offer(ids[:3])
    got: list[str] = []
    three = threading.Event()

    def consume() -> None:
        for cid, conversation in client.get_conversations(feed):
            assert conversation is not None and conversation["id"] == cid
            got.append(cid)
            if len(got) == 3:
                three.set()

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    assert three.wait(10), "the GETs waited for the feed instead of yielding their answers"
    feed.offer(ids[3:5])
    feed.close()
    worker.join(10)
    assert not worker.is_alive()
    assert sorted(got) == ids[:5] and emulator.requests["get"] == 5


def test_a_full_feed_refuses_offers_and_remembers_what_it_took():
    feed = IdFeed(4)
    assert feed.offer(["1", "2", "2", "3"])
    assert not feed.offer(["4", "5"])  # would make 5
    assert feed.full and not feed.wants
    assert not feed.offer(["4"])  # full for good: the rest is fetched another way
    assert feed.accepted == {"1", "2", "3"}
    feed.close()
    assert feed.take(10, wait=True) == ["1", "2", "3"]
    assert feed.take(10, wait=True) is None


def test_an_error_closing_the_feed_reaches_the_consumer_and_abandoning_stops_the_producer():
    feed = IdFeed(10)
    feed.offer(["1"])
    feed.close(RuntimeError("search failed"))
    assert feed.take(5, wait=False) == ["1"]
    with pytest.raises(RuntimeError, match="search failed"):
        feed.take(5, wait=True)
    other = IdFeed(10)
    other.abandon()
    with pytest.raises(FeedAbandoned):
        other.offer(["1"])
