"""MirrorSpec: one place that validates a workspace's values and derives every name."""

from datetime import date

import pytest

from intercom_assets.mirror.spec import ConfigError, MirrorSpec, parse_start_date
from intercom_assets.mirror.step_resources import check_duckdb_path


def test_start_date_today_is_allowed_but_tomorrow_is_not():
    assert parse_start_date("2026-11-20", today=date(2026, 11, 20)) == "2026-11-20"
    with pytest.raises(ConfigError, match="in the future"):
        parse_start_date("2026-11-21", today=date(2026, 11, 20))


def test_a_prefix_must_be_one_identifier():
    with pytest.raises(ConfigError) as error:
        MirrorSpec(key_prefix="intercom/eu")
    assert str(error.value) == (
        "key_prefix='intercom/eu' must be letters, digits and underscores, starting with a "
        "letter (e.g. intercom_eu)."
    )


def test_the_default_prefix_keeps_the_contract_names_and_another_gets_its_own():
    default, eu = MirrorSpec(), MirrorSpec(key_prefix="intercom_eu")

    assert (default.messages_key.to_user_string(), default.sync_job_name) == (
        "intercom/messages",
        "intercom_sync_job",
    )
    assert default.resource_keys == {"intercom", "duckdb"}
    assert (eu.conversations_key.path, eu.op_name("conversations")) == (
        ["intercom_eu", "conversations"],
        "intercom_eu__conversations",
    )
    assert (eu.updates_sensor_name, eu.reconcile_schedule_name) == (
        "intercom_eu_updates_sensor",
        "intercom_eu_reconcile_schedule",
    )
    assert eu.resource_keys == {"intercom_eu", "intercom_eu_duckdb"}


def test_unwritable_duckdb_path_is_refused_at_run_start(tmp_path):
    with pytest.raises(ConfigError) as error:
        check_duckdb_path("/proc/intercom/x.duckdb")
    assert str(error.value).startswith(
        "The DuckDB file '/proc/intercom/x.duckdb' is not writable ("
    )
    assert str(error.value).endswith(
        "; set duckdb_path (INTERCOM_DUCKDB_PATH for the default workspace) to a folder you "
        "can write to."
    )
    target = tmp_path / "new" / "folder" / "intercom.duckdb"
    assert check_duckdb_path(str(target)) == str(target)
    assert target.parent.is_dir()
