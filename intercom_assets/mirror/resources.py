"""A workspace's resources: IntercomResource (the token never appears in its repr) and the
DuckDB mirror, bound under the spec's resource keys with the token as an `EnvVar`."""

import logging
import os
from typing import Any, Protocol

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from intercom_assets.client import REGION_BASE_URLS, IntercomClient
from intercom_assets.client.concurrency import DEFAULT_MAX_CONCURRENCY
from intercom_assets.mirror.spec import ConfigError, MirrorSpec, parse_base_url, parse_region


class HasResources(Protocol):
    """A run, check or sensor context: anything with `.resources`."""

    @property
    def resources(self) -> Any: ...


TOKEN_ENV = "INTERCOM_ACCESS_TOKEN"


def missing_token_message(name: str = TOKEN_ENV) -> str:
    """The one line a run (or the sensor) fails with when no token is configured."""
    return (
        f"{name} is not set: export your Intercom access token as {name} where Dagster runs "
        "(`intercom-assets dev` sets it for the emulator), then check it with "
        "`intercom-assets test-connection`."
    )


def token_binding(name: str = TOKEN_ENV) -> dg.EnvVar | str:
    """`dg.EnvVar(name)` when the variable is set, else "": an unset EnvVar would fail every
    run with Dagster's config-resolution trace; "" lets the run fail with
    `missing_token_message` instead. The resource also reads `name` at run time, so a run
    worker that gets the token injected (a run launcher's secrets) still works."""
    return dg.EnvVar(name) if os.environ.get(name, "").strip() else ""


class IntercomResource(dg.ConfigurableResource):
    """Intercom API access for the sync assets, the sensor and the connection test."""

    access_token: str = Field(
        default="", description="Intercom access token, bound to the access_token_env EnvVar."
    )
    access_token_env: str = Field(
        default=TOKEN_ENV, description="The environment variable that holds the token."
    )
    region: str = Field(default="us", description="Workspace region: us, eu or au.")
    base_url: str | None = Field(
        default=None, description="Overrides region, e.g. the emulator (INTERCOM_BASE_URL)."
    )
    api_version: str = Field(default="2.16", description="Pinned Intercom-Version header.")
    max_requests_per_minute: int = Field(
        default=10_000, description="Our ceiling on the app's rate-limit budget."
    )
    max_concurrency: int = Field(
        default=DEFAULT_MAX_CONCURRENCY,
        description=(
            "Ceiling on requests in flight (GETs and search windows alike): below it the "
            "client keeps about budget rate x observed latency in flight "
            "(INTERCOM_MAX_CONCURRENCY)."
        ),
    )
    timeout_seconds: float = Field(default=30.0, description="Read timeout per request.")
    max_retries: int = Field(default=8, description="Retries on 429 / 5xx / connection errors.")

    def __repr__(self) -> str:
        return (
            f"IntercomResource(base_url={self.base_url!r}, region={self.region!r}, "
            f"api_version={self.api_version!r}, access_token='***')"
        )

    def __str__(self) -> str:
        return repr(self)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Fail at run start, with one line, on a configuration mistake. A missing token
        fails the first step that calls Intercom instead (a clean step failure)."""
        try:
            self._validate(check_token=False)
        except ConfigError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None

    def token(self) -> str:
        """The configured token, else the variable's value at run time ("" when neither)."""
        return self.access_token.strip() or os.environ.get(self.access_token_env, "").strip()

    def resolved_base_url(self) -> str:
        """`base_url` when set, else the region's API host."""
        self._validate()
        return self._base_url_or_none() or REGION_BASE_URLS[self.region.strip().lower()]

    def get_client(self, logger: logging.Logger | None = None) -> IntercomClient:
        """A new client; close it (or use it as a context manager) when done."""
        return IntercomClient(
            self.resolved_base_url(),
            self.token(),
            api_version=self.api_version,
            timeout=self.timeout_seconds,
            max_requests_per_minute=self.max_requests_per_minute,
            max_retries=self.max_retries,
            max_concurrency=self.max_concurrency,
            logger=logger,
        )

    def _base_url_or_none(self) -> str | None:
        return parse_base_url(self.base_url, name="INTERCOM_BASE_URL")

    def _validate(self, check_token: bool = True) -> None:
        """Raise ConfigError with a one-line explanation naming the setting to fix."""
        if parse_base_url(self.base_url, name="INTERCOM_BASE_URL") is None:
            parse_region(self.region, name="INTERCOM_REGION", base_url_name="INTERCOM_BASE_URL")
        if check_token and not self.token():
            raise ConfigError(missing_token_message(self.access_token_env))
        if not self.api_version.strip():
            raise ConfigError("INTERCOM_API_VERSION is empty; use e.g. 2.16.")
        minimums = {"max_requests_per_minute": 1, "max_concurrency": 1, "max_retries": 0}
        for name, minimum in minimums.items():
            value = getattr(self, name)
            if value < minimum:
                raise ConfigError(f"Intercom setting {name}={value} must be at least {minimum}.")
        if self.timeout_seconds <= 0:
            raise ConfigError(
                f"Intercom setting timeout_seconds={self.timeout_seconds} must be positive."
            )


def build_resources(spec: MirrorSpec) -> dict[str, dg.ConfigurableResource]:
    """The token stays an `EnvVar` (when set; see `token_binding`): resolved at run launch,
    never shown on the Resources page."""
    intercom = IntercomResource(
        access_token=token_binding(spec.access_token_env),
        access_token_env=spec.access_token_env,
        region=spec.region,
        base_url=spec.base_url,
        api_version=spec.api_version,
        max_requests_per_minute=spec.max_requests_per_minute,
        **({} if spec.max_concurrency is None else {"max_concurrency": spec.max_concurrency}),
    )
    return {
        spec.intercom_resource_key: intercom,
        spec.duckdb_resource_key: DuckDBResource(database=spec.duckdb_path),
    }


def intercom_resource(context: HasResources, spec: MirrorSpec) -> IntercomResource:
    """This workspace's Intercom resource, looked up under its own key."""
    return getattr(context.resources, spec.intercom_resource_key)


def duckdb_resource(context: HasResources, spec: MirrorSpec) -> DuckDBResource:
    """This workspace's DuckDB resource, looked up under its own key."""
    return getattr(context.resources, spec.duckdb_resource_key)
