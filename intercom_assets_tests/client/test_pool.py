"""The client's thread pool: threads start on demand, up to the limit, and exit when idle."""

import threading
import time

import pytest

from intercom_assets.client.pool import ElasticPool


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_threads_start_on_demand_up_to_the_limit_and_exit_when_idle() -> None:
    release = threading.Event()
    with ElasticPool(8, "test-pool", idle_seconds=0.2) as pool:
        waiting = [pool.submit(release.wait, 5) for _ in range(12)]  # 4 wait for a thread
        assert wait_for(lambda: pool.threads == 8)
        release.set()
        assert [future.result() for future in waiting] == [True] * 12

        assert wait_for(lambda: pool.threads == 0)  # a ThreadPoolExecutor keeps all 8
        for value in range(3):  # one at a time: one thread does them all
            assert pool.submit(lambda v=value: v * 2).result() == value * 2
        assert pool.threads == 1


def test_errors_reach_the_future_and_shutdown_cancels_what_has_not_started() -> None:
    release = threading.Event()
    pool = ElasticPool(1, "test-pool")
    failing = pool.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result()
    running = pool.submit(release.wait, 5)
    queued = pool.submit(lambda: "never")
    assert wait_for(running.running)
    release.set()
    pool.shutdown(wait=True, cancel_futures=True)

    assert running.result() is True
    assert queued.cancelled() or queued.result() == "never"
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
