"""What every Intercom-reading asset does around its work: open the mirror, hold a client.

Fatal API errors (bad token, missing permission, unsupported version) end the run with the
client's actionable sentence as a `dg.Failure`, not a traceback through our code.
"""

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from intercom_assets.client import (
    IntercomAuthError,
    IntercomClient,
    IntercomPermissionError,
    IntercomVersionError,
)
from intercom_assets.mirror.resources import IntercomResource
from intercom_assets.mirror.spec import ConfigError
from intercom_assets.storage import prepare_database


def check_duckdb_path(raw: str) -> str:
    """Create the parent folder and prove it is writable; MotherDuck (`md:`) paths pass through."""
    if raw.startswith("md:") or raw == ":memory:":
        return raw
    parent = Path(raw).expanduser().resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent / f".write-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"The DuckDB file {raw!r} is not writable ({exc.strerror}); set duckdb_path "
            "(INTERCOM_DUCKDB_PATH for the default workspace) to a folder you can write to."
        ) from None
    return raw


def prepared_database(duckdb: DuckDBResource, log: logging.Logger) -> str:
    """Validate the path, create or migrate the schema, and return the path for batches.

    An unwritable path ends the run with that one sentence, not a traceback.
    """
    try:
        database = check_duckdb_path(duckdb.database)
    except ConfigError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    prepare_database(database, log)
    return database


@contextmanager
def intercom_client(intercom: IntercomResource, log: logging.Logger) -> Iterator[IntercomClient]:
    try:
        client = intercom.get_client(logger=log)
    except ConfigError as error:  # e.g. no token: one line naming the variable and the fix
        raise dg.Failure(description=str(error), allow_retries=False) from None
    try:
        yield client
    except (IntercomAuthError, IntercomPermissionError, IntercomVersionError) as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    finally:
        client.close()


def api_metadata(client: IntercomClient, started: float) -> dict[str, float | int]:
    """Requests by endpoint, 429s, retries, 404s and the run's duration."""
    return {**client.stats.as_metadata(), "duration_seconds": round(time.monotonic() - started, 2)}
