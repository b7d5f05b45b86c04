"""The code location: `intercom_assets.definitions:defs`."""

import dagster as dg

from intercom_assets.assets import conversations, messages
from intercom_assets.jobs import intercom_sync_job
from intercom_assets.resources import build_resources
from intercom_assets.settings import load_settings

settings = load_settings()

defs = dg.Definitions(
    assets=[conversations, messages],
    jobs=[intercom_sync_job],
    resources=build_resources(settings),
)
