"""The contract's environment variables, parsed into a `MirrorSpec` in one place.

Every contract env var is read here (not at import time elsewhere), so a typo fails at load
with a sentence naming the variable, not deep inside a run with a traceback.
"""

import os
import re
from collections.abc import Mapping

from intercom_assets.mirror.spec import ConfigError, MirrorSpec

# spec field -> the ★ environment variable that sets it for the default workspace
ENV_VARS = {
    "start_date": "INTERCOM_START_DATE",
    "duckdb_path": "INTERCOM_DUCKDB_PATH",
    "region": "INTERCOM_REGION",
    "base_url": "INTERCOM_BASE_URL",
    "api_version": "INTERCOM_API_VERSION",
    "sensor_interval_seconds": "INTERCOM_SENSOR_INTERVAL_SECONDS",
    "max_requests_per_minute": "INTERCOM_MAX_REQUESTS_PER_MINUTE",
    "max_sync_lag_minutes": "INTERCOM_MAX_SYNC_LAG_MINUTES",
}
_INTEGERS = {"sensor_interval_seconds", "max_requests_per_minute", "max_sync_lag_minutes"}


def _value(field: str, raw: str) -> str | int:
    if field not in _INTEGERS:
        return raw
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{ENV_VARS[field]}={raw!r} is not a whole number.") from None


def spec_from_env(environ: Mapping[str, str] | None = None) -> MirrorSpec:
    """The default workspace's spec from the environment; unset or empty means the default."""
    env = os.environ if environ is None else environ
    values = {
        field: _value(field, env[name].strip())
        for field, name in ENV_VARS.items()
        if env.get(name, "").strip()
    }
    try:
        return MirrorSpec(**values)
    except ConfigError as error:
        # name the variable the user set, not the spec field it feeds
        words = re.compile(r"\b(" + "|".join(ENV_VARS) + r")\b")
        raise ConfigError(words.sub(lambda m: ENV_VARS[m[1]], str(error))) from None
