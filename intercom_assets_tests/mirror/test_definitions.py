"""The code location loads and exposes every ★ contract name, with safe default statuses."""

import dagster as dg

from intercom_assets.definitions import defs


def test_the_code_location_loads():
    dg.Definitions.validate_loadable(defs)


def test_contract_names_exist():
    repository = defs.get_repository_def()
    asset_keys = {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()}
    check_keys = {
        (key.asset_key.to_user_string(), key.name)
        for key in repository.asset_graph.asset_check_keys
    }

    assert {
        "intercom/conversations",
        "intercom/messages",
        "intercom/deleted_conversations",
    } <= asset_keys
    assert ("intercom/messages", "messages_complete") in check_keys
    assert defs.resolve_job_def("intercom_sync_job").partitions_def is not None
    assert {job.name for job in defs.resolve_sensor_def("intercom_updates_sensor").jobs} == {
        "intercom_sync_job",
        "intercom_deletions_job",
    }
    for name in ("intercom_daily_schedule", "intercom_reconcile_schedule"):
        assert defs.resolve_schedule_def(name).job_name == "intercom_sync_job"


def test_the_user_activates_sync_automation_but_freshness_checks_run_by_default():
    assert (
        defs.resolve_sensor_def("intercom_updates_sensor").default_status
        == dg.DefaultSensorStatus.STOPPED
    )
    assert (
        defs.resolve_schedule_def("intercom_freshness_schedule").default_status
        == dg.DefaultScheduleStatus.RUNNING
    )


def test_data_checks_run_in_the_sync_job_and_freshness_checks_in_their_own():
    sync = defs.resolve_job_def("intercom_sync_job")
    freshness = defs.resolve_job_def("intercom_freshness_job")

    assert {key.name for key in sync.asset_layer.asset_graph.asset_check_keys} >= {
        "messages_complete",
        "conversation_ids_unique",
        "conversations_in_partition_day",
        "message_ids_unique",
        "messages_have_conversation",
    }
    assert set(freshness.graph.node_dict) == {
        "intercom__conversations_sync_lag",
        "intercom__messages_yesterday_synced",
    }
