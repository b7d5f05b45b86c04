"""deploy/helm/values.yaml for Dagster's chart: our image as the user deployment, the token
as a Kubernetes secret it alone reads, K8sRunLauncher, and the same instance settings as
deploy/dagster.yaml (the queue, monitoring and retries do not drift apart)."""

import yaml

from intercom_assets_tests.production.artifacts import DEPLOY, image_command

VALUES = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
INSTANCE = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.title() for word in rest)


def test_user_deployment_serves_our_image_with_the_images_code_server_arguments() -> None:
    (deployment,) = VALUES["dagster-user-deployments"]["deployments"]
    assert VALUES["dagster-user-deployments"]["enabled"] is True
    assert deployment["image"]["repository"].endswith("/intercom-assets")
    args = ["-m", "intercom_assets.definitions", "--location-name", "intercom_assets"]
    assert deployment["codeServerArgs"] == args
    image = image_command()
    assert [image[image.index("-m") + 1], image[image.index("--location-name") + 1]] == args[1::2]
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"


def test_token_is_a_secret_read_by_the_user_deployment_only() -> None:
    (deployment,) = VALUES["dagster-user-deployments"]["deployments"]
    assert deployment["envSecrets"] == [{"name": "intercom-access-token"}]
    assert "INTERCOM_ACCESS_TOKEN" not in str(deployment["env"])
    for other in ("dagsterWebserver", "dagsterDaemon", "runLauncher"):
        assert "intercom-access-token" not in str(VALUES.get(other, {})), other
    assert VALUES["global"]["postgresqlSecretName"] == "dagster-postgresql-secret"
    assert VALUES["generatePostgresqlPasswordSecret"] is False


def test_duckdb_file_sits_on_a_read_write_once_claim_on_one_node() -> None:
    (deployment,) = VALUES["dagster-user-deployments"]["deployments"]
    (volume,) = deployment["volumes"]
    assert volume["persistentVolumeClaim"]["claimName"] == "intercom-mirror"
    (mount,) = deployment["volumeMounts"]
    path = next(e["value"] for e in deployment["env"] if e["name"] == "INTERCOM_DUCKDB_PATH")
    assert path.startswith(mount["mountPath"] + "/")
    assert deployment["nodeSelector"] == {"intercom/mirror": "true"}
    claim = yaml.safe_load((DEPLOY / "helm" / "mirror-pvc.yaml").read_text())
    assert claim["metadata"]["name"] == "intercom-mirror"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_instance_settings_match_deploy_dagster_yaml() -> None:
    daemon = VALUES["dagsterDaemon"]
    queue = daemon["runCoordinator"]["config"]["queuedRunCoordinator"]
    runs = INSTANCE["concurrency"]["runs"]
    assert queue["maxConcurrentRuns"] == runs["max_concurrent_runs"]
    assert queue["tagConcurrencyLimits"] == runs["tag_concurrency_limits"]
    coordinator = INSTANCE["run_coordinator"]["config"]
    assert queue["dequeueIntervalSeconds"] == coordinator["dequeue_interval_seconds"]
    monitoring = INSTANCE["run_monitoring"]
    assert daemon["runMonitoring"] == {_camel(k): v for k, v in monitoring.items()}
    assert daemon["runRetries"] == {_camel(k): v for k, v in INSTANCE["run_retries"].items()}
    assert (
        VALUES["retention"]["sensor"]["purgeAfterDays"]
        == INSTANCE["retention"]["sensor"]["purge_after_days"]
    )
    assert VALUES["telemetry"] == INSTANCE["telemetry"]
