"""Fixed-window rate limiting with Intercom's X-RateLimit-* headers and 429 body."""

from __future__ import annotations

import math
import time

import pytest

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets_tests.support import Api, error_code


@pytest.fixture
def tiny_budget(emulator_config: EmulatorConfig) -> EmulatorConfig:
    emulator_config.rate_limit_per_window = 3
    emulator_config.window_seconds = 1.0
    return emulator_config


def wait_for_fresh_window() -> None:
    """Start at the beginning of a 1 s window so a burst cannot straddle two windows."""
    time.sleep(math.ceil(time.time()) - time.time() + 0.01)


def test_authenticated_responses_carry_rate_limit_headers(api: Api) -> None:
    wait_for_fresh_window()
    before = time.time()
    first, second = api.get("/me"), api.get("/conversations")
    assert first.headers["X-RateLimit-Limit"] == "1667"
    assert int(first.headers["X-RateLimit-Remaining"]) == 1666
    assert int(second.headers["X-RateLimit-Remaining"]) == 1665
    reset = int(first.headers["X-RateLimit-Reset"])
    assert reset == math.ceil(before + 0.001)  # end of the real 1 s window, in epoch seconds


def test_reset_is_real_time_even_when_the_data_clock_is_elsewhere(
    api: Api, emulator: Emulator
) -> None:
    emulator.set_now(1_000_000_000)
    reset = int(api.get("/me").headers["X-RateLimit-Reset"])
    assert time.time() <= reset <= time.time() + 2


def test_unauthenticated_responses_have_no_rate_limit_headers(emulator: Emulator) -> None:
    response = Api(emulator, "nope").get("/me")
    assert response.status_code == 401
    assert not any(name.lower().startswith("x-ratelimit") for name in response.headers)


def test_over_budget_requests_get_429_until_the_window_resets(tiny_budget: EmulatorConfig) -> None:
    with running_emulator(tiny_budget) as emulator:
        api = Api(emulator, emulator.token)
        wait_for_fresh_window()
        statuses = [api.get("/me").status_code for _ in range(5)]
        limited = api.get("/me")
        time.sleep(float(limited.headers["X-RateLimit-Reset"]) - time.time() + 0.01)
        after_reset = api.get("/me")
    assert statuses == [200, 200, 200, 429, 429]
    assert error_code(limited) == (429, "rate_limit_exceeded")
    assert limited.json()["errors"][0]["message"] == "Exceeded rate limit of 3 in 1_seconds"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert after_reset.status_code == 200


def test_budget_is_shared_by_every_token_of_the_app(tiny_budget: EmulatorConfig) -> None:
    with running_emulator(tiny_budget) as emulator:
        emulator.set_token("second-token", "valid")
        first, second = Api(emulator, emulator.token), Api(emulator, "second-token")
        wait_for_fresh_window()
        statuses = [api.get("/me").status_code for api in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]


def test_message_names_the_window_length(emulator_config: EmulatorConfig) -> None:
    emulator_config.rate_limit_per_window = 0
    emulator_config.window_seconds = 10.0
    with running_emulator(emulator_config) as emulator:
        response = Api(emulator, emulator.token).get("/me")
    assert error_code(response) == (429, "rate_limit_exceeded")
    assert response.json()["errors"][0]["message"] == "Exceeded rate limit of 0 in 10_seconds"
