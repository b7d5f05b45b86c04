"""The one daily partitioning shared by both assets: the conversation's `created_at` UTC day.

A conversation's creation day never changes, so a partition's membership is fixed and
re-materializing it is idempotent. `end_offset=1` makes today's partition exist so a
conversation created minutes ago can land.
"""

import os

import dagster as dg

from intercom_assets.mirror.settings import DEFAULT_START_DATE, parse_start_date

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=parse_start_date(os.environ.get("INTERCOM_START_DATE") or DEFAULT_START_DATE),
    timezone="UTC",
    end_offset=1,
)
