"""`IntercomWorkspaceComponent`: one Intercom workspace mirrored into its own DuckDB file.

A thin YAML front over `mirror.build_defs`: each field becomes a `MirrorSpec` value, validated
once with errors naming the field. The token is never a field: the component names the
environment variable, and the resource reads it as a `dg.EnvVar` at run launch, so it is not
resolved into a plain string at load time, shown on the Resources page, or needed to load.
"""

from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field, ValidationError, field_validator, model_validator

from intercom_assets.mirror.build import build_defs
from intercom_assets.mirror.spec import ConfigError, MirrorSpec

_DEFAULTS = MirrorSpec()


class IntercomWorkspaceScaffolder(dg.Scaffolder):
    """`dg scaffold defs intercom_assets.IntercomWorkspaceComponent <name>` writes a YAML
    whose prefix is `<name>` and whose token variable is `<NAME>_ACCESS_TOKEN`."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        prefix = request.target_path.name.replace("-", "_")
        dg.scaffold_component(
            request,
            {
                "key_prefix": prefix,
                "access_token_env": f"{prefix.upper()}_ACCESS_TOKEN",
                "region": "us",
                "start_date": _DEFAULTS.start_date,
                "duckdb_path": f"data/{prefix}.duckdb",
            },
        )


@dg.scaffold_with(IntercomWorkspaceScaffolder)
class IntercomWorkspaceComponent(dg.Component, dg.Model, dg.Resolvable):
    """Mirrors one Intercom workspace's conversations and messages into DuckDB.

    Builds the workspace's assets (`{key_prefix}/conversations`, `/messages`,
    `/deleted_conversations`), checks, `{key_prefix}_sync_job`, `{key_prefix}_updates_sensor`,
    the daily, reconcile and freshness schedules and its two resources.
    """

    key_prefix: str = Field(
        default=_DEFAULTS.key_prefix,
        description=(
            "Prefix of every name: asset keys `{key_prefix}/conversations`, jobs "
            "`{key_prefix}_sync_job`, ... Letters, digits, underscores; one per workspace."
        ),
    )
    access_token_env: str = Field(
        default=_DEFAULTS.access_token_env,
        description=(
            "Name of the environment variable holding the Intercom access token (read at run "
            "launch, never at load, never logged)."
        ),
    )
    region: str = Field(default=_DEFAULTS.region, description="Workspace region: us, eu or au.")
    base_url: str | None = Field(
        default=None,
        description="API base URL; overrides region (e.g. the local emulator).",
    )
    api_version: str = Field(
        default=_DEFAULTS.api_version,
        description="Pinned Intercom-Version header; 2.16 adds GET /conversations/deleted.",
    )
    start_date: str = Field(
        default=_DEFAULTS.start_date,
        description="First daily partition, YYYY-MM-DD (not in the future); keep it fixed.",
    )
    duckdb_path: str = Field(
        default=_DEFAULTS.duckdb_path,
        description="The mirror's DuckDB file (its own per workspace); `md:` paths work.",
    )
    max_requests_per_minute: int = Field(
        default=_DEFAULTS.max_requests_per_minute,
        description="Our ceiling on the app's request budget; lower it to leave room for others.",
    )
    max_concurrency: int | None = Field(
        default=None,
        description=(
            "Ceiling on requests in flight, GETs and search windows alike "
            "(INTERCOM_MAX_CONCURRENCY; default 256): below it the client keeps about "
            "budget rate x observed latency in flight."
        ),
    )
    sensor_interval_seconds: int = Field(
        default=_DEFAULTS.sensor_interval_seconds,
        description="How often the updates sensor polls Intercom.",
    )
    max_sync_lag_minutes: int = Field(
        default=_DEFAULTS.max_sync_lag_minutes,
        description="The sync_lag check fails when the mirror is further behind Intercom.",
    )
    owners: list[str] = Field(
        default_factory=list,
        description="Owners of every asset (e.g. `team:support-ops`, `ada@example.com`).",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _unset_means_default(cls, value: Any, info: Any) -> Any:
        """`{{ env.X }}` of an unset or empty variable keeps the field's default."""
        if value is None or (isinstance(value, str) and not value.strip()):
            field = cls.model_fields[info.field_name]
            return field.get_default(call_default_factory=True)
        return value

    @model_validator(mode="after")
    def _valid_spec(self) -> "IntercomWorkspaceComponent":
        """Every value checked where the YAML is loaded, with the field named."""
        try:
            self.spec()
        except ConfigError as error:
            raise ValueError(str(error)) from None
        return self

    def spec(self) -> MirrorSpec:
        return MirrorSpec(**{**self.model_dump(), "owners": tuple(self.owners)})

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return build_defs(self.spec())


def _one_line(error: BaseException) -> str:
    """The pydantic reason behind a component load failure, as `field: problem` sentences."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, ValidationError):
        cause = cause.__cause__ or cause.__context__
    if cause is None:
        return str(error).strip().splitlines()[0]
    problems = []
    for item in cause.errors():
        where = ".".join(str(part) for part in item["loc"])
        text = str(item["msg"]).removeprefix("Value error, ")
        got = f" (got {item['input']!r})" if where else ""
        problems.append(f"{where}: {text}{got}" if where else text)
    return "; ".join(problems)


def load_workspace_spec(folder: str = "intercom") -> MirrorSpec:
    """The spec of the shipped workspace `intercom_assets/defs/<folder>` (for the CLI).

    Raises ConfigError with one line naming the field when the YAML's values are invalid.
    """
    import intercom_assets.defs

    root = Path(intercom_assets.defs.__file__).parent
    tree = dg.ComponentTree.from_module(intercom_assets.defs, project_root=root.parents[1])
    try:
        component = tree.load_component(root / folder, expected_type=IntercomWorkspaceComponent)
    except Exception as error:
        raise ConfigError(f"{folder}/defs.yaml: {_one_line(error)}") from None
    return component.spec()
