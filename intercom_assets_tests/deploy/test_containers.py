"""deploy/Dockerfile, deploy/compose.yaml and .dockerignore, checked without Docker (no image
can be pulled here): structure, the token's reach, and consistency with dagster.yaml.

The commands themselves run for real in the production suite, which starts the code server,
the daemon and the webserver from exactly these files."""

import re
import tomllib

import yaml

from intercom_assets_tests.production.artifacts import (
    DEPLOY,
    REPO_ROOT,
    compose,
    dockerfile_instructions,
    image_command,
    service_command,
)

DAGSTER_SERVICES = ("code_location", "webserver", "daemon")


def _env_file(name: str) -> dict[str, str]:
    lines = (DEPLOY / name).read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    return dict(pairs)


def _dagster_yaml_env_vars() -> set[str]:
    return set(re.findall(r"\{ env: (\w+) \}", (DEPLOY / "dagster.yaml").read_text()))


def test_image_is_slim_non_root_with_a_healthcheck_and_the_code_server_entry_point() -> None:
    instructions = dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    args = dict(reversed(instructions))  # the first of each
    assert re.fullmatch(r"ARG PYTHON_IMAGE=python:3\.11-slim-\w+", f"ARG {args['ARG']}")
    users = [value for keyword, value in instructions if keyword == "USER"]
    assert users == ["dagster"]
    assert keywords.index("USER") < keywords.index("CMD") == len(keywords) - 1
    healthcheck = next(value for keyword, value in instructions if keyword == "HEALTHCHECK")
    assert '"grpc-health-check"' in healthcheck and '"4000"' in healthcheck
    assert image_command()[:5] == [
        "dagster",
        "code-server",
        "start",
        "-m",
        "intercom_assets.definitions",
    ]
    assert image_command()[image_command().index("-p") + 1] == "4000"
    env = " ".join(value for keyword, value in instructions if keyword == "ENV")
    assert "DAGSTER_CURRENT_IMAGE=${IMAGE}" in env and "DAGSTER_HOME=/opt/dagster/home" in env


def test_image_installs_the_wheel_on_pinned_requirements_never_editable() -> None:
    runs = " ".join(value for keyword, value in dockerfile_instructions() if keyword == "RUN")
    assert "pip wheel" in runs and "/tmp/wheels/*.whl" in runs
    assert " -e " not in runs and "--editable" not in runs
    requirements = (DEPLOY / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in requirements if line and not line.startswith("#"))
    assert all(version for version in pins.values())  # every line an exact pin
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["deploy"]]:
        if "==" in requirement:
            name, version = requirement.split("==")
            assert pins[name] == version, f"{name}: requirements.txt {pins[name]} != {version}"
    assert "intercom-assets" not in pins and "pytest" not in pins  # the wheel; no dev tools


def test_dockerignore_lets_in_only_what_the_image_copies() -> None:
    copied = []
    for keyword, value in dockerfile_instructions():
        if keyword == "COPY" and "--from=" not in value:
            copied += [part for part in value.split()[:-1] if not part.startswith("--")]
    allowed = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    for source in copied:
        assert (REPO_ROOT / source).exists(), source
        assert f"!{source.rstrip('/')}" in [line.rstrip("/") for line in allowed], source


def test_compose_runs_postgres_and_three_dagster_services_from_one_image() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", *DAGSTER_SERVICES}
    assert {services[name]["image"] for name in DAGSTER_SERVICES} == {"intercom-assets:0.1.0"}
    assert services["code_location"]["build"]["dockerfile"] == "deploy/Dockerfile"
    for name in ("webserver", "daemon"):
        workspace = service_command(name)[service_command(name).index("-w") + 1]
        assert workspace == "/opt/dagster/workspace.yaml"
        assert services[name]["depends_on"]["code_location"]["condition"] == "service_healthy"
    assert services["webserver"]["ports"] == ["127.0.0.1:3000:3000"]
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["grpc_server"] == {
        "host": "code_location",
        "port": 4000,
        "location_name": "intercom_assets",
    }


def test_compose_gives_the_token_and_the_mirror_volume_to_the_code_location_only() -> None:
    services = compose()["services"]
    assert "INTERCOM_ACCESS_TOKEN" in _env_file("intercom.env.example")
    for name, service in services.items():
        reads_token = "intercom.env" in service.get("env_file", [])
        assert reads_token == (name == "code_location"), name
        mounts_mirror = any(v.startswith("mirror:") for v in service.get("volumes", []))
        assert mounts_mirror == (name == "code_location"), name
        assert "environment" not in service  # nothing secret inline in the file
    assert set(compose()["volumes"]) == {"pgdata", "mirror"}
    assert services["code_location"]["volumes"] == ["mirror:/var/lib/intercom"]


def test_compose_env_files_provide_every_variable_dagster_yaml_reads() -> None:
    postgres = _env_file("postgres.env.example")
    assert _dagster_yaml_env_vars() == {k for k in postgres if k.startswith("DAGSTER_PG_")}
    assert postgres["DAGSTER_PG_HOST"] == "postgres"
    for name in DAGSTER_SERVICES:
        assert "postgres.env" in compose()["services"][name]["env_file"]
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert {"deploy/intercom.env", "deploy/postgres.env"} <= set(ignored)


def test_systemd_units_run_the_same_commands_and_give_the_token_to_the_code_server_only() -> None:
    units = {p.stem: p.read_text() for p in (DEPLOY / "systemd").glob("*.service")}
    assert set(units) == {"intercom-code-server", "dagster-daemon", "dagster-webserver"}
    exec_start = {
        name: next(line for line in text.splitlines() if line.startswith("ExecStart="))
        for name, text in units.items()
    }
    image = image_command()
    module, location = image[image.index("-m") + 1], image[image.index("--location-name") + 1]
    assert f"code-server start -m {module} " in exec_start["intercom-code-server"]
    assert exec_start["intercom-code-server"].endswith(f"--location-name {location}")
    assert "dagster-daemon run -w " in exec_start["dagster-daemon"]
    for name, text in units.items():
        assert "postgres.env" in text, name
        assert ("EnvironmentFile=/etc/intercom-assets/intercom.env" in text) == (
            name == "intercom-code-server"
        ), name
