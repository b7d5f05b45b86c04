"""IntercomResource: endpoint resolution, one-line config errors, and a real Dagster run."""

import dagster as dg
import pytest

from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets.mirror.resources import IntercomResource, missing_token_message
from intercom_assets.mirror.spec import ConfigError
from intercom_assets_tests.support import FIXED_NOW

SECRET = "tok_RESOURCE_SECRET_91ab"


@pytest.mark.parametrize(
    ("region", "url"),
    [
        ("us", "https://api.intercom.io"),
        ("eu", "https://api.eu.intercom.io"),
        ("AU", "https://api.au.intercom.io"),
    ],
)
def test_region_picks_the_api_host(region: str, url: str) -> None:
    assert IntercomResource(access_token="t", region=region).resolved_base_url() == url


def test_base_url_overrides_region() -> None:
    resource = IntercomResource(access_token="t", region="nowhere", base_url="http://127.0.0.1:8/")
    assert resource.resolved_base_url() == "http://127.0.0.1:8"


def test_unknown_region_is_a_one_line_error() -> None:
    with pytest.raises(ConfigError) as e:
        IntercomResource(access_token="t", region="mars").get_client()
    assert str(e.value) == (
        "INTERCOM_REGION='mars' is unknown; use one of us, eu, au (or set INTERCOM_BASE_URL)."
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_concurrency": 0}, "Intercom setting max_concurrency=0 must be at least 1."),
        (
            {"max_requests_per_minute": 0},
            "Intercom setting max_requests_per_minute=0 must be at least 1.",
        ),
        ({"max_retries": -1}, "Intercom setting max_retries=-1 must be at least 0."),
        ({"timeout_seconds": 0.0}, "Intercom setting timeout_seconds=0.0 must be positive."),
        (
            {"base_url": "localhost:8000"},
            "INTERCOM_BASE_URL='localhost:8000' must start with http:// or https://.",
        ),
        ({"access_token": " "}, missing_token_message()),
    ],
)
def test_invalid_settings_are_one_line_errors(
    settings: dict, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    resource = IntercomResource(**{"access_token": "t", **settings})
    with pytest.raises(ConfigError) as e:
        resource.resolved_base_url()
    assert str(e.value) == message


def test_repr_and_str_hide_the_token() -> None:
    resource = IntercomResource(access_token=SECRET, region="eu")
    assert (
        repr(resource)
        == str(resource)
        == ("IntercomResource(base_url=None, region='eu', api_version='2.16', access_token='***')")
    )


def test_get_client_carries_the_settings() -> None:
    resource = IntercomResource(
        access_token=SECRET, base_url="http://127.0.0.1:9", max_concurrency=3, api_version="2.15"
    )
    with resource.get_client() as client:
        assert (client.base_url, client.api_version, client.max_concurrency) == (
            "http://127.0.0.1:9",
            "2.15",
            3,
        )
        assert SECRET not in repr(client)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        seed=7, days=1, conversations_per_day=4, token=SECRET, window_seconds=1.0, now=FIXED_NOW
    )


@dg.asset
def whoami(context: dg.AssetExecutionContext, intercom: IntercomResource) -> dg.MaterializeResult:
    context.log.info(f"using {intercom}")
    with intercom.get_client(logger=context.log) as client:
        admin = client.me()
        for _ in range(4):
            client.me()
    return dg.MaterializeResult(metadata={"admin": admin["name"], **client.stats.as_metadata()})


def run_whoami(emulator: Emulator, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    resource = IntercomResource(
        access_token=dg.EnvVar("INTERCOM_ACCESS_TOKEN"), base_url=emulator.base_url, max_retries=8
    )
    return dg.materialize(
        [whoami], resources={"intercom": resource}, instance=instance, raise_on_error=False
    )


def event_log_text(instance: dg.DagsterInstance, run_id: str) -> str:
    run = instance.get_run_by_id(run_id)
    return "\n".join(str(record) for record in instance.all_logs(run_id)) + str(run)


def test_materialize_with_the_env_var_token(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, _isolated_instance: dg.DagsterInstance
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", SECRET)
    emulator.config.faults.html_503_rate = 0.5  # retries get logged through context.log

    result = run_whoami(emulator, _isolated_instance)

    assert result.success
    metadata = result.asset_materializations_for_node("whoami")[0].metadata
    assert metadata["admin"].value == "Ciarán Lee"
    assert metadata["api_requests_me"].value == emulator.requests["me"]
    assert metadata["api_retries"].value == emulator.status_counts[503] > 0
    text = event_log_text(_isolated_instance, result.run_id)
    assert "retry 1/8" in text
    assert "access_token='***'" in text
    assert SECRET not in text


def test_a_revoked_token_fails_the_run_with_advice(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, _isolated_instance: dg.DagsterInstance
) -> None:
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", SECRET)
    emulator.set_token(SECRET, "revoked")

    result = run_whoami(emulator, _isolated_instance)

    assert not result.success
    text = event_log_text(_isolated_instance, result.run_id)
    assert "Intercom rejected the access token (401 token_revoked)" in text
    assert emulator.requests["me"] == 1
    assert SECRET not in text
