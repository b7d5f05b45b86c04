"""Resource wiring from the environment (the contract's env vars)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from intercom_assets.resource import IntercomResource
from intercom_assets.settings import Settings


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "intercom": IntercomResource(
            access_token=dg.EnvVar("INTERCOM_ACCESS_TOKEN"),
            region=settings.region,
            base_url=settings.base_url,
            api_version=settings.api_version,
            max_requests_per_minute=settings.max_requests_per_minute,
        ),
        "duckdb": DuckDBResource(database=settings.duckdb_path),
    }
